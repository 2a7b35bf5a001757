"""Dashboards as code: valid Grafana JSON, every panel of a service's dashboard about that service."""

from __future__ import annotations

import json

import pytest

from components.config import SERVICES
from components.mesh.metrics import request_metrics
from components.observability.dashboards import all_dashboards, to_json
from tests.rendering import of_type, render

ISTIO = request_metrics("istio")


def _model(name: str, provider: str = "istio") -> dict:
    return json.loads(to_json(all_dashboards(request_metrics(provider))[name]))


def _panels(model: dict) -> list[dict]:
    return [p for p in model["panels"] if p["type"] != "row"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_panel_queries_its_own_service(service):
    for panel in _panels(_model(service)):
        for target in panel["targets"]:
            assert f'"{service}"' in target["expr"] or f'"{service}-.*"' in target["expr"], (panel["title"], target)


@pytest.mark.parametrize("service", SERVICES)
def test_no_panel_queries_another_service(service):
    others = [s for s in SERVICES if s != service]
    for panel in _panels(_model(service)):
        for target in panel["targets"]:
            assert not [o for o in others if f'"{o}' in target["expr"]], (panel["title"], target)


def test_service_dashboards_are_alike():
    shapes = {tuple((p["type"], p["title"]) for p in _model(s)["panels"]) for s in SERVICES}
    assert len(shapes) == 1


def test_service_dashboard_covers_the_playbooks_signals():
    titles = {p["title"] for p in _model("gateway")["panels"]}
    for expected in ("Request rate", "Error ratio (5xx)", "Error budget remaining", "Burn rate", "Recent error logs"):
        assert expected in titles
    assert {"CPU (cores)", "Memory (working set)", "Restarts (1h)"} <= titles


def test_latency_panel_shows_p50_p95_p99_with_exemplars():
    latency = next(p for p in _model("inventory")["panels"] if p["title"].startswith("Latency"))
    assert [t["legendFormat"] for t in latency["targets"]] == ["p50", "p95", "p99"]
    assert all(t["exemplar"] for t in latency["targets"])
    assert all(ISTIO.duration_bucket in t["expr"] for t in latency["targets"])


def test_request_metrics_follow_the_mesh():
    rate = next(p for p in _model("sales", "linkerd")["panels"] if p["title"] == "Request rate")
    assert rate["targets"][0]["expr"].startswith("sum(rate(response_total{")


def test_error_logs_come_from_loki_at_level_error():
    logs = next(p for p in _model("auth")["panels"] if p["type"] == "logs")
    assert logs["datasource"]["uid"] == "loki"
    assert logs["targets"][0]["expr"].endswith('| level="error"')


@pytest.mark.parametrize("name", [*SERVICES, "weekly-review"])
def test_dashboard_is_valid_grafana_json(name):
    model = _model(name)
    assert model["uid"] and model["title"] and model["schemaVersion"] >= 36
    ids = [p["id"] for p in model["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in _panels(model):
        assert panel["datasource"]["uid"] in {"prometheus", "loki"}
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        assert all(t["refId"] for t in panel["targets"])


def test_weekly_review_shows_the_slo_status_of_all_six():
    stats = [p for p in _model("weekly-review")["panels"] if p["type"] == "stat"]
    assert [p["title"] for p in stats] == list(SERVICES)
    for panel, service in zip(stats, SERVICES, strict=True):
        assert f'sloth_service="{service}"' in panel["targets"][0]["expr"]


def test_weekly_review_compares_requested_and_used_resources_by_namespace():
    panels = {p["title"]: p for p in _model("weekly-review")["panels"]}
    for resource in ("Cpu", "Memory"):
        exprs = [t["expr"] for t in panels[f"{resource}: requested vs used, by namespace"]["targets"]]
        assert "kube_pod_container_resource_requests" in exprs[0]
        assert all(e.startswith("sum by (namespace)") for e in exprs)


def test_weekly_review_counts_error_logs():
    panels = {p["title"]: p for p in _model("weekly-review")["panels"]}
    assert 'level="error"' in panels["Error-log volume (lines per hour)"]["targets"][0]["expr"]


def test_dashboards_are_config_maps_labelled_for_the_sidecar():
    maps = [m for m in of_type(render("dev", "existing"), "kubernetes:core/v1:ConfigMap") if "dashboard" in m["name"]]
    assert len(maps) == len(SERVICES) + 1
    for config_map in maps:
        assert config_map["inputs"]["metadata"]["labels"] == {"grafana_dashboard": "1"}
        (document,) = config_map["inputs"]["data"].values()
        assert json.loads(document)["panels"]
