"""SLOs: one Sloth PrometheusServiceLevel per service, from config, routed by page/ticket labels."""

from __future__ import annotations

import pytest

from components.addresses import SERVICES_NAMESPACE
from components.config import SERVICES, ConfigError, load_config
from components.mesh.metrics import request_metrics
from components.observability.alerting import AvailableReceivers, alertmanager_config
from components.observability.slo import latency_bound_ms, service_level_spec, sloth_values
from tests.alertmanager_routes import receivers_for
from tests.rendering import of_type, release, render, render_with

SLO_TYPE = "kubernetes:sloth.slok.dev/v1:PrometheusServiceLevel"
ISTIO = request_metrics("istio")


def _cfg(environment: str = "dev", **platform):
    return load_config({"cloud": "aws", **platform}, environment)


def _slos(spec: dict) -> dict[str, dict]:
    return {slo["name"]: slo for slo in spec["slos"]}


def test_every_service_has_a_service_level_in_the_services_namespace():
    levels = of_type(render("dev", "existing"), SLO_TYPE)
    assert sorted(level["inputs"]["spec"]["service"] for level in levels) == sorted(SERVICES)
    assert {level["inputs"]["metadata"]["namespace"] for level in levels} == {SERVICES_NAMESPACE}


def test_service_levels_wait_for_sloth_and_the_services_namespace():
    result = render("dev", "existing")
    sloth = next(r["urn"] for r in of_type(result, "kubernetes:helm.sh/v3:Release") if r["name"].endswith("-sloth"))
    for level in of_type(result, SLO_TYPE):
        assert sloth in level["dependencies"]
        assert any(d.endswith("store-services-ns") for d in level["dependencies"])


def test_availability_objective_comes_from_config(tmp_path):
    result = render_with("dev", tmp_path, {"services": {"gateway": {"slo": {"availability": 99.5}}}}, "existing")
    gateway = next(r for r in of_type(result, SLO_TYPE) if r["inputs"]["spec"]["service"] == "gateway")
    assert _slos(gateway["inputs"]["spec"])["availability"]["objective"] == 99.5


def test_availability_sli_counts_the_meshs_errors_over_its_requests():
    events = _slos(service_level_spec(_cfg(), "inventory", ISTIO))["availability"]["sli"]["events"]
    assert events["errorQuery"] == f"sum(rate({ISTIO.errors('inventory')}[{{{{.window}}}}]))"
    assert events["totalQuery"] == f"sum(rate({ISTIO.requests('inventory')}[{{{{.window}}}}]))"


def test_latency_sli_counts_requests_above_the_objective_bucket():
    events = _slos(service_level_spec(_cfg(), "attendance", ISTIO))["latency"]["sli"]["events"]
    assert 'le="250"' in events["errorQuery"]
    assert ISTIO.duration_bucket in events["errorQuery"]


def test_latency_bound_never_loosens_the_objective():
    assert latency_bound_ms(ISTIO, 300) == 250
    assert latency_bound_ms(request_metrics("linkerd"), 300) == 300


def test_linkerd_mesh_moves_the_slis_to_linkerd_metrics():
    spec = service_level_spec(_cfg(mesh={"provider": "linkerd"}), "sales", request_metrics("linkerd"))
    assert "response_total" in _slos(spec)["availability"]["sli"]["events"]["totalQuery"]


@pytest.mark.parametrize("kind", ["pageAlert", "ticketAlert"])
def test_slo_alerts_route_to_the_right_receiver_in_prod(kind):
    config = _cfg("prod")
    routing = alertmanager_config(config, AvailableReceivers(slack=True, pagerduty=True))["route"]
    alerting = _slos(service_level_spec(config, "gateway", ISTIO))["availability"]["alerting"]
    labels = {"alertname": alerting["name"], **alerting["labels"], **alerting[kind]["labels"]}
    expected = "pagerduty" if kind == "pageAlert" else "slack"
    assert receivers_for(routing, labels) == [expected]


def test_sloth_period_is_the_configured_window():
    assert sloth_values(_cfg())["sloth"]["defaultSloPeriod"] == "30d"


def test_sloth_fetches_no_plugins_at_start_up():
    assert release(render("dev", "existing"), "sloth")["values"]["commonPlugins"] == {"enabled": False}


def test_a_window_sloth_does_not_have_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        _cfg(services={"auth": {"slo": {"windowDays": 14}}})
    assert [p.path for p in error.value.problems] == ["platform.services.auth.slo.windowDays"]


def test_services_with_different_windows_are_a_config_error():
    with pytest.raises(ConfigError) as error:
        _cfg(services={"sales": {"slo": {"windowDays": 28}}})
    assert [p.path for p in error.value.problems] == ["platform.services.sales.slo.windowDays"]
