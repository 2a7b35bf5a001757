"""Alertmanager routing: the rendered configuration parsed and its routing tree exercised."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml

from components.config import ConfigError, load_config
from components.observability.alerting import (
    PAGE_LABELS,
    SECRETS_DIR,
    TICKET_LABELS,
    AvailableReceivers,
    alertmanager_config,
)
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
from tests.alertmanager_routes import inhibited, receivers_for
from tests.rendering import ROOT, one, release, render

BOTH = AvailableReceivers(slack=True, pagerduty=True)


def _config(environment: str, available: AvailableReceivers = BOTH) -> dict[str, Any]:
    return alertmanager_config(load_config({"cloud": "aws"}, environment), available)


@pytest.fixture(scope="module")
def rendered_prod() -> dict[str, Any]:
    """The Alertmanager config as rendered for prod, read back through YAML like the chart does."""
    values = release(render("prod", "existing"), "kube-prometheus-stack")["values"]
    parsed: dict[str, Any] = yaml.safe_load(yaml.safe_dump(values["alertmanager"]["config"]))
    return parsed


def test_prod_slo_page_reaches_pagerduty(rendered_prod):
    labels = {"alertname": "GatewayAvailabilityBudgetBurn", **PAGE_LABELS}
    assert receivers_for(rendered_prod["route"], labels) == ["pagerduty"]


def test_prod_critical_alert_reaches_pagerduty(rendered_prod):
    assert receivers_for(rendered_prod["route"], {"alertname": "KubePodCrashLooping", "severity": "critical"}) == [
        "pagerduty"
    ]


def test_prod_slo_ticket_reaches_slack(rendered_prod):
    labels = {"alertname": "GatewayLatencyBudgetBurn", **TICKET_LABELS}
    assert receivers_for(rendered_prod["route"], labels) == ["slack"]


def test_prod_warning_reaches_slack(rendered_prod):
    assert receivers_for(rendered_prod["route"], {"alertname": "CPUThrottlingHigh", "severity": "warning"}) == ["slack"]


def test_watchdog_goes_to_null(rendered_prod):
    assert receivers_for(rendered_prod["route"], {"alertname": "Watchdog", "severity": "none"}) == ["null"]


def test_receivers_read_credentials_from_mounted_files(rendered_prod):
    receivers = {r["name"]: r for r in rendered_prod["receivers"]}
    assert receivers["slack"]["slack_configs"][0]["api_url_file"].startswith(SECRETS_DIR + "/")
    assert receivers["pagerduty"]["pagerduty_configs"][0]["routing_key_file"].startswith(SECRETS_DIR + "/")


def test_mounted_secret_is_the_one_holding_the_receiver_credentials():
    result = render("prod", "existing")
    spec = release(result, "kube-prometheus-stack")["values"]["alertmanager"]["alertmanagerSpec"]
    secret = one(result, "kubernetes:core/v1:Secret", "alert-receivers")["inputs"]["metadata"]["name"]
    assert spec["secrets"] == [secret]
    assert SECRETS_DIR.endswith("/" + secret)


def test_pages_go_to_slack_outside_prod():
    config = _config("staging")
    assert receivers_for(config["route"], {"alertname": "X", **PAGE_LABELS}) == ["slack"]
    assert "pagerduty" not in {r["name"] for r in config["receivers"]}


def test_slack_channel_is_the_environments():
    slack = next(r for r in _config("dev")["receivers"] if r["name"] == "slack")
    assert slack["slack_configs"][0]["channel"] == "#store-alerts-dev"


def test_without_a_slack_secret_nothing_reaches_slack():
    config = _config("dev", AvailableReceivers(slack=False, pagerduty=False))
    assert {r["name"] for r in config["receivers"]} == {"null"}
    for labels in ({"severity": "warning"}, PAGE_LABELS, TICKET_LABELS, {"alertname": "Other"}):
        assert receivers_for(config["route"], labels) == ["null"]


def test_dev_render_without_secrets_has_no_receiver_secret_nor_mount():
    result = render("dev", "existing")
    assert not [s for s in result.resources if s["name"].endswith("alert-receivers")]
    assert release(result, "kube-prometheus-stack")["values"]["alertmanager"]["alertmanagerSpec"]["secrets"] == []


def test_critical_inhibits_the_same_alerts_warning():
    config = _config("prod")
    warning = {"alertname": "KubeletDown", "namespace": "kube-system", "severity": "warning"}
    critical = dict(warning, severity="critical")
    assert inhibited(config, warning, [critical])


def test_critical_does_not_inhibit_another_namespaces_warning():
    config = _config("prod")
    warning = {"alertname": "KubeletDown", "namespace": "store", "severity": "warning"}
    critical = {"alertname": "KubeletDown", "namespace": "kube-system", "severity": "critical"}
    assert not inhibited(config, warning, [critical])


def test_a_missing_slack_webhook_is_a_config_error_in_prod():
    stack = load_stack(ROOT, "prod", cloud="existing")
    missing = "store-platform:slackWebhookUrl"
    without = dataclasses.replace(
        stack,
        values={k: v for k, v in stack.values.items() if k != missing},
        secret_keys=[k for k in stack.secret_keys if k != missing],
    )
    with pytest.raises(ConfigError) as error:
        run_program(without)
    assert [p.path for p in error.value.problems] == [missing]
