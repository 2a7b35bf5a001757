"""Scrape monitors for the mesh: what they select, the `app` label metrics.py relies on, and that
they exist only with the Prometheus Operator CRDs (and wait for them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import platform
from components.mesh import Mesh
from components.mesh.monitors import istio_monitors, linkerd_monitors
from store_platform_tools.render import RenderResult
from tests.rendering import render_with

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


def with_monitoring_crds(
    stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str
) -> tuple[RenderResult, str]:
    """Render with a stand-in for Observability.monitoring_crds (a release there) handed to the Mesh."""

    def mesh(name: str, config: Any, secrets: Any, cluster: Any, _: Any, opts: pulumi.ResourceOptions) -> Mesh:
        crds = pulumi.CustomResource("test:index:MonitoringCrds", "monitoring-crds", {}, opts)
        return Mesh(name, config, secrets, cluster, crds, opts)

    monkeypatch.setattr(platform, "Mesh", mesh)
    result = render_with(stack, tmp_path, {"mesh": {"provider": provider}}, cloud="existing")
    urn = next(r["urn"] for r in result.resources if r["type"] == "test:index:MonitoringCrds")
    return result, urn


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("istio", {("PodMonitor", "istio-proxies"), ("ServiceMonitor", "istiod")}),
        ("linkerd", {("PodMonitor", "linkerd-proxies"), ("PodMonitor", "linkerd-control-plane")}),
    ],
)
def test_monitors_are_created_with_the_crds_and_wait_for_them(
    provider: str, expected: set[tuple[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, crds = with_monitoring_crds("dev", tmp_path, monkeypatch, provider)
    monitors = [r for r in result.resources if r["type"].startswith(MONITORS)]
    assert {(r["type"].rsplit(":", 1)[1], r["inputs"]["metadata"]["name"]) for r in monitors} == expected
    assert all(crds in r["dependencies"] for r in monitors)
