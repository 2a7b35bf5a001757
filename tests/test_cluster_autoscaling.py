"""Node autoscaling from the same `min` and `max` on every cloud: Karpenter above a managed floor
on EKS, the native autoscaler on GKE and AKS; no size is frozen and scaling replaces no pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.cluster.eks.karpenter import (
    burst_nodes,
    controller_statements,
    floor_scaling,
    karpenter_values,
    node_pool_spec,
)
from components.cluster.info import SYSTEM_POOL_TAINT, Placement
from components.config.model import NodePool
from tests.rendering import config_of, of_type, one, release, render, render_with

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CR = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
GKE_POOL = "gcp:container/nodePool:NodePool"
AKS_POOL = "azure-native:containerservice:AgentPool"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = NodePool(instance_type="m7i.large", min=2, max=6, disk_gb=50)


def test_karpenter_adds_at_most_max_minus_min_nodes() -> None:
    assert burst_nodes(POOL) == 4
    assert node_pool_spec("workloads", POOL)["limits"] == {"nodes": "4"}


def test_managed_floor_holds_exactly_min_nodes() -> None:
    scaling = floor_scaling(POOL)
    assert (scaling.min_size, scaling.desired_size, scaling.max_size) == (2, 2, 2)


def test_floor_of_an_empty_pool_keeps_a_valid_max() -> None:
    scaling = floor_scaling(NodePool(instance_type="m7i.large", min=0, max=3, disk_gb=50))
    assert (scaling.min_size, scaling.desired_size, scaling.max_size) == (0, 0, 1)


def test_system_node_pool_carries_the_system_taint_and_label() -> None:
    spec = node_pool_spec("system", POOL)
    assert spec["template"]["spec"]["taints"] == [SYSTEM_POOL_TAINT]
    assert spec["template"]["metadata"]["labels"] == {"store-platform/pool": "system"}


def test_karpenter_nodes_use_the_pool_instance_type_on_demand() -> None:
    requirements = {
        r["key"]: r["values"] for r in node_pool_spec("workloads", POOL)["template"]["spec"]["requirements"]
    }
    assert requirements["node.kubernetes.io/instance-type"] == ["m7i.large"]
    assert requirements["karpenter.sh/capacity-type"] == ["on-demand"]


def test_controller_may_pass_only_the_karpenter_node_role() -> None:
    statements = controller_statements("c", "us-east-1", "123456789012", "arn:aws:iam::123456789012:role/n")
    passes = [s for s in statements if "iam:PassRole" in s["Action"]]
    assert [s["Resource"] for s in passes] == ["arn:aws:iam::123456789012:role/n"]


def test_controller_terminates_only_instances_of_this_cluster() -> None:
    statements = controller_statements("c", "us-east-1", "1", "r")
    terminating = [s for s in statements if "ec2:TerminateInstances" in s["Action"]]
    assert terminating and all(
        s["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/c": "owned"} for s in terminating
    )


def test_controller_replicas_never_exceed_the_system_floor() -> None:
    config = config_of("dev", "aws")
    system_min = config.cluster.node_pools.system.min
    values = karpenter_values(config, "c", Placement({}, []), {})
    assert values["replicas"] <= max(system_min, 1)


def test_karpenter_is_installed_on_eks_with_irsa() -> None:
    result = render("dev", "aws")
    values = release(result, "oci://public.ecr.aws/karpenter/karpenter")["values"]
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert values["settings"]["clusterName"] == "acme-store-dev"


def test_every_pool_has_a_karpenter_node_pool_and_node_class() -> None:
    result = render("prod", "aws")
    assert sorted(r["inputs"]["metadata"]["name"] for r in of_type(result, CR)) == ["system", "workloads"]
    assert sorted(r["inputs"]["metadata"]["name"] for r in of_type(result, NODE_CLASS)) == ["system", "workloads"]


def test_karpenter_nodes_get_an_access_entry_of_their_own() -> None:
    entries = [
        r
        for r in of_type(render("dev", "aws"), "aws:eks/accessEntry:AccessEntry")
        if r["inputs"].get("type") == "EC2_LINUX"
    ]
    assert len(entries) == 1


def test_raising_max_on_eks_changes_only_the_karpenter_limit(tmp_path: Path) -> None:
    before = render("dev", "aws")
    spec = config_of("dev", "aws").cluster.node_pools.workloads
    after = render_with("dev", tmp_path, {"cluster": {"nodePools": {"workloads": {"max": spec.max + 5}}}}, "aws")
    b, a = one(before, NODE_GROUP, "-workloads")["inputs"], one(after, NODE_GROUP, "-workloads")["inputs"]
    assert b == a
    limit = lambda r: one(r, CR, "-workloads-nodepool")["inputs"]["spec"]["limits"]["nodes"]  # noqa: E731
    assert int(limit(after)) == int(limit(before)) + 5


@pytest.mark.parametrize("cloud", ["gcp"])
def test_gke_pools_autoscale_between_min_and_max_and_ignore_the_initial_count(cloud: str) -> None:
    result = render("prod", cloud)
    pool = one(result, GKE_POOL, "-workloads-pool")
    spec = config_of("prod", cloud).cluster.node_pools.workloads
    assert pool["inputs"]["autoscaling"]["totalMinNodeCount"] == spec.min
    assert pool["inputs"]["autoscaling"]["totalMaxNodeCount"] == spec.max
    assert pool["ignoreChanges"] == ["initialNodeCount"]


def test_aks_pools_autoscale_between_min_and_max() -> None:
    result = render("prod", "azure")
    pools = config_of("prod", "azure").cluster.node_pools
    for name, spec in (("system-pool", pools.system), ("workload-pool", pools.workloads)):
        pool = one(result, AKS_POOL, name)["inputs"]
        assert (pool["enableAutoScaling"], pool["minCount"], pool["maxCount"]) == (True, spec.min, spec.max)


# --- Karpenter's metrics ----------------------------------------------------------------------

SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"


def test_prometheus_scrapes_the_karpenter_metrics_service_once_the_monitoring_crds_are_in() -> None:
    result = render("dev", "aws")
    monitor = one(result, SERVICE_MONITOR, "monitor-karpenter")
    assert monitor["inputs"]["metadata"]["namespace"] == "karpenter"
    assert monitor["inputs"]["spec"]["endpoints"] == [{"port": "http-metrics", "path": "/metrics"}]
    crds = {
        r["urn"]
        for r in of_type(result, "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["chart"] == "prometheus-operator-crds"
    }
    assert crds & set(monitor["dependencies"])


def test_no_karpenter_monitor_off_eks() -> None:
    assert not [r for r in of_type(render("dev", "gcp"), SERVICE_MONITOR) if r["name"].endswith("monitor-karpenter")]
