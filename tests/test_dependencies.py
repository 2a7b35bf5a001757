"""Only real dependencies (DESIGN.md): what waits for the nodes, and what need not."""

from __future__ import annotations

import pytest

from tests.rendering import of_type, render

MANAGED = ["aws", "gcp", "azure"]
RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOLS = (
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/nodePool:NodePool",
    "azure-native:containerservice:ManagedCluster",
)


def node_urns(cloud: str) -> set[str]:
    return {r["urn"] for t in NODE_POOLS for r in of_type(render("prod", cloud), t)}


@pytest.mark.parametrize("cloud", MANAGED)
def test_namespaces_need_only_the_api_server(cloud):
    assert all(
        not set(n["dependencies"]) & node_urns(cloud)
        for n in of_type(render("prod", cloud), "kubernetes:core/v1:Namespace")
    )


@pytest.mark.parametrize("cloud", MANAGED)
@pytest.mark.parametrize("chart", ["prometheus-operator-crds", "base"])
def test_crd_only_charts_install_while_the_nodes_come_up(cloud, chart):
    (crds,) = [r for r in of_type(render("prod", cloud), RELEASE) if r["inputs"]["chart"] == chart]
    assert not set(crds["dependencies"]) & node_urns(cloud)


@pytest.mark.parametrize("cloud", MANAGED)
def test_releases_that_run_pods_wait_for_the_nodes(cloud):
    releases = [
        r
        for r in of_type(render("prod", cloud), RELEASE)
        if r["inputs"]["chart"]
        not in ("prometheus-operator-crds", "base", "oci://public.ecr.aws/karpenter/karpenter-crd")
    ]
    assert releases and all(set(r["dependencies"]) & node_urns(cloud) for r in releases)
