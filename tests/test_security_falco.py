"""Falco: driver, output, forwarding and our rules for the services' namespace."""

from __future__ import annotations

import re

import yaml

from components.addresses import SERVICES_NAMESPACE
from components.cluster import SYSTEM_POOL_TAINT, Placement
from components.security import falco
from tests.rendering import one, release, render
from tests.security_fakes import config_for

PLACEMENT = Placement(node_selector={"pool": "system"}, tolerations=[{"key": "pool", "effect": "NoSchedule"}])


def _values(slack: bool = False, environment: str = "dev") -> dict:
    return falco.falco_values(config_for(environment), PLACEMENT, slack=slack)


def test_modern_ebpf_driver_and_json_output() -> None:
    values = _values()
    assert values["driver"]["kind"] == "modern_ebpf"
    assert values["falco"]["json_output"] is True


def test_events_go_to_alertmanager() -> None:
    sidekick = _values()["falcosidekick"]
    assert sidekick["enabled"] is True
    assert (
        sidekick["config"]["alertmanager"]["hostport"]
        == "http://alertmanager-operated.monitoring.svc.cluster.local:9093"
    )


def test_slack_reads_its_webhook_from_the_secret_when_the_stack_has_one() -> None:
    config = _values(slack=True)["falcosidekick"]["config"]
    assert config["existingSecret"] == falco.SIDEKICK_SECRET
    assert "webhookurl" not in config["slack"]


def test_no_slack_output_without_a_webhook() -> None:
    config = _values(slack=False)["falcosidekick"]["config"]
    assert "slack" not in config and "existingSecret" not in config


def test_the_webhook_secret_exists_only_where_the_stack_sets_one() -> None:
    assert one(render("prod", "existing"), "kubernetes:core/v1:Secret", "falcosidekick-outputs")
    assert not [r for r in render("dev", "existing").resources if r["name"].endswith("falcosidekick-outputs")]


def test_metrics_are_scraped_by_a_service_monitor() -> None:
    values = _values()
    assert values["metrics"]["enabled"] is True and values["serviceMonitor"]["create"] is True


def test_falco_runs_on_every_node_including_the_system_pool() -> None:
    values = _values()
    assert "nodeSelector" not in values
    assert any(t["key"] == SYSTEM_POOL_TAINT["key"] for t in values["tolerations"])


def test_sidekick_runs_on_the_system_pool() -> None:
    assert _values()["falcosidekick"]["nodeSelector"] == {"pool": "system"}


def _items() -> list[dict]:
    return yaml.safe_load(_values()["customRules"][falco.RULES_FILE])


def _rules() -> dict[str, dict]:
    return {item["rule"]: item for item in _items() if "rule" in item}


def _macros() -> dict[str, str]:
    return {item["macro"]: item["condition"] for item in _items() if "macro" in item}


def test_our_rules_cover_shells_outbound_connections_and_binary_dir_writes() -> None:
    conditions = " ".join(rule["condition"] for rule in _rules().values())
    for macro in ("store_spawned_process", "store_outbound", "store_write_below_binary_dir"):
        assert macro in conditions


def test_our_rules_watch_only_the_services_namespace() -> None:
    assert f'k8s.ns.name = "{SERVICES_NAMESPACE}"' in _macros()["store_service_container"]
    for rule in _rules().values():
        assert "store_service_container" in rule["condition"]


def test_every_macro_and_list_our_rules_use_is_defined_in_our_file() -> None:
    defined = set(_macros()) | {item["list"] for item in _items() if "list" in item}
    used = {word for rule in _rules().values() for word in re.findall(r"\bstore_\w+", rule["condition"])}
    assert used <= defined


def test_rendered_release_carries_our_rules() -> None:
    assert falco.RULES_FILE in release(render("local"), "falco")["values"]["customRules"]
