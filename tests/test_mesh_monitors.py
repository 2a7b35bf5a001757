"""Scrape monitors for the mesh: what they select, the `app` label metrics.py relies on, and that
they exist only with the Prometheus Operator CRDs (and wait for them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.mesh.monitors import istio_monitors, linkerd_monitors
from tests.rendering import one, render_with

MONITORS = "kubernetes:monitoring.coreos.com/v1:"


def proxy_endpoint(monitor_spec: dict[str, Any]) -> dict[str, Any]:
    return monitor_spec["podMetricsEndpoints"][0]


@pytest.mark.parametrize(
    "monitors", [istio_monitors("istio-system"), linkerd_monitors("linkerd")], ids=["istio", "linkerd"]
)
def test_proxy_targets_get_the_app_label_from_app_kubernetes_io_name(monitors: list[Any]) -> None:
    proxies = next(m for m in monitors if m.role == "proxies-monitor")
    assert proxy_endpoint(proxies.spec)["relabelings"] == [
        {"sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "targetLabel": "app"}
    ]


@pytest.mark.parametrize(
    "monitors", [istio_monitors("istio-system"), linkerd_monitors("linkerd")], ids=["istio", "linkerd"]
)
def test_proxies_are_scraped_in_every_namespace(monitors: list[Any]) -> None:
    proxies = next(m for m in monitors if m.role == "proxies-monitor")
    assert proxies.spec["namespaceSelector"] == {"any": True}


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("istio", {("PodMonitor", "istio-proxies"), ("ServiceMonitor", "istiod")}),
        ("linkerd", {("PodMonitor", "linkerd-proxies"), ("PodMonitor", "linkerd-control-plane")}),
    ],
)
def test_monitors_are_created_with_the_crds_and_wait_for_them(
    provider: str, expected: set[tuple[str, str]], tmp_path: Path
) -> None:
    result = render_with("dev", tmp_path, {"mesh": {"provider": provider}}, cloud="existing")
    crds = one(result, "kubernetes:helm.sh/v3:Release", "monitoring-crds")["urn"]
    monitors = [r for r in result.resources if r["type"].startswith(MONITORS) and r["name"].startswith("store-mesh")]
    assert {(r["type"].rsplit(":", 1)[1], r["inputs"]["metadata"]["name"]) for r in monitors} == expected
    assert all(crds in r["dependencies"] for r in monitors)
