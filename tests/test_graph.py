"""`store-platform graph`: waves and critical path from the render's dependency data."""

from __future__ import annotations

import pytest

from store_platform_tools.cli import main
from store_platform_tools.graph import estimate, plan


def resource(urn: str, type_: str, deps: tuple[str, ...] = (), provider: str | None = None, chart: str = ""):
    return {
        "urn": urn,
        "type": type_,
        "dependencies": list(deps),
        "provider": provider,
        "inputs": {"chart": chart} if chart else {},
    }


CLUSTER = resource("cluster", "aws:eks/cluster:Cluster")
NODES = resource("nodes", "aws:eks/nodeGroup:NodeGroup", ("cluster",))
K8S = resource("k8s", "pulumi:providers:kubernetes", ("cluster",))


def test_a_resource_starts_after_its_dependencies_and_provider():
    ns = resource("ns", "kubernetes:core/v1:Namespace", ("nodes",), provider="k8s")
    p = plan([CLUSTER, NODES, K8S, ns])
    assert p.wave == {"cluster": 0, "nodes": 1, "k8s": 1, "ns": 2}
    assert p.finish["ns"] == estimate(CLUSTER) + estimate(NODES) + estimate(ns)


def test_critical_path_follows_the_longest_chain():
    slow = resource("prom", "kubernetes:helm.sh/v3:Release", ("nodes",), "k8s", chart="kube-prometheus-stack")
    fast = resource("cm", "kubernetes:core/v1:ConfigMap", ("nodes",), "k8s")
    assert plan([CLUSTER, NODES, K8S, slow, fast]).critical_path == ["cluster", "nodes", "prom"]


def test_unrelated_resources_share_a_wave():
    a = resource("a", "kubernetes:helm.sh/v3:Release", ("nodes",), "k8s")
    b = resource("b", "kubernetes:helm.sh/v3:Release", ("nodes",), "k8s")
    p = plan([CLUSTER, NODES, K8S, a, b])
    assert p.wave["a"] == p.wave["b"] and p.total_seconds == p.finish["a"]


def test_component_resources_take_no_time_and_are_left_out():
    component = resource("platform", "store-platform:index:Platform")
    assert "platform" not in plan([CLUSTER, component]).nodes


def test_release_estimates_come_from_the_chart():
    assert estimate(resource("r", "kubernetes:helm.sh/v3:Release", chart="kube-prometheus-stack")) > estimate(
        resource("r", "kubernetes:helm.sh/v3:Release", chart="argo-rollouts")
    )


def test_a_cycle_is_reported():
    with pytest.raises(ValueError, match="cycle"):
        plan([resource("a", "aws:kms/key:Key", ("b",)), resource("b", "aws:kms/key:Key", ("a",))])


def test_graph_command_prints_waves_and_critical_path(capsys):
    assert main(["graph", "local"]) == 0
    out = capsys.readouterr().out
    assert "wave  0" in out and "critical path:" in out and "estimated from-scratch" in out
