"""Lifecycle: render a stack before and after a day-2 change and check what the engine would do,
from the table of replacement-forcing provider properties (components/cluster/pool_versions.py,
each row citing its provider document): which resources change, which are replaced, and that
nothing stateful or serving is replaced or deleted without a successor up first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.lifecycle import Plan, plan, unsafe_removals
from tests.rendering import config_of, render, render_with

CLOUDS = ("aws", "gcp", "azure")
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KARPENTER_POOL = "kubernetes:karpenter.sh/v1:NodePool"
GKE_POOL = "gcp:container/nodePool:NodePool"
AKS_POOL = "azure-native:containerservice:AgentPool"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"


def after(tmp_path: Path, cloud: str, change: dict[str, Any], stack: str = "prod") -> Plan:
    return plan(render(stack, cloud), render_with(stack, tmp_path, change, cloud))


def types_of(urns: Any) -> set[str]:
    return {urn.split("::")[-2].rsplit("$", 1)[-1] for urn in urns}


def pool_change(pool: str, **fields: Any) -> dict[str, Any]:
    return {"cluster": {"nodePools": {pool: fields}}}


# --- raising min ----------------------------------------------------------------------------

EXPECTED_ON_MIN = {
    # The floor's size; min and max rise together here, so Karpenter's max - min stays.
    "aws": {NODE_GROUP},
    "gcp": {GKE_POOL},
    "azure": {AKS_POOL},  # the versioned system pool; the bootstrap pool in the cluster keeps its size
}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_raising_min_updates_only_the_pool_in_place(cloud: str, tmp_path: Path) -> None:
    system = config_of("prod", cloud).cluster.node_pools.system
    p = after(tmp_path, cloud, pool_change("system", min=system.min + 1, max=system.max + 1))
    assert p.replaced == {} and p.created == {} and p.deleted == {}
    assert types_of(p.updated) == EXPECTED_ON_MIN[cloud]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_raising_min_changes_no_pool_name(cloud: str, tmp_path: Path) -> None:
    workloads = config_of("prod", cloud).cluster.node_pools.workloads
    p = after(tmp_path, cloud, pool_change("workloads", min=workloads.min + 1))
    assert not any("name" in prop.lower() for props in p.updated.values() for prop in props)
    assert unsafe_removals(p) == []


# --- raising max ----------------------------------------------------------------------------

EXPECTED_ON_MAX = {"aws": {KARPENTER_POOL}, "gcp": {GKE_POOL}, "azure": {AKS_POOL}}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_raising_max_updates_only_the_autoscaling_bound(cloud: str, tmp_path: Path) -> None:
    workloads = config_of("prod", cloud).cluster.node_pools.workloads
    p = after(tmp_path, cloud, pool_change("workloads", max=workloads.max + 4))
    assert p.replaced == {} and p.created == {} and p.deleted == {}
    assert types_of(p.updated) == EXPECTED_ON_MAX[cloud]


# --- changing the instance type -------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_instance_type_change_replaces_no_pool_without_a_successor(cloud: str, tmp_path: Path) -> None:
    p = after(tmp_path, cloud, pool_change("workloads", instanceType="m7i.2xlarge"))
    assert unsafe_removals(p) == []
    assert p.deleted == {}


def test_instance_type_change_on_eks_replaces_the_floor_under_a_new_name(tmp_path: Path) -> None:
    p = after(tmp_path, "aws", pool_change("workloads", instanceType="m7i.2xlarge"))
    (urn,) = p.replaced
    assert types_of([urn]) == {NODE_GROUP} and "instanceTypes" in p.replaced[urn]
    old, new = p.before[urn]["inputs"]["nodeGroupName"], p.after[urn]["inputs"]["nodeGroupName"]
    assert old != new and old.rsplit("-", 1)[0] == new.rsplit("-", 1)[0]
    # Karpenter's nodes of the pool drift to the new type in place of a replacement.
    assert KARPENTER_POOL in types_of(p.updated)


def test_instance_type_change_on_gke_is_a_rolling_update_of_the_same_pool(tmp_path: Path) -> None:
    p = after(tmp_path, "gcp", pool_change("workloads", instanceType="m7i.2xlarge"))
    assert p.replaced == {}
    (urn,) = [u for u in p.updated if types_of([u]) == {GKE_POOL}]
    assert p.updated[urn] == ["nodeConfig.machineType"]


def test_instance_type_change_on_aks_creates_the_new_pool_before_the_old_goes(tmp_path: Path) -> None:
    p = after(tmp_path, "azure", pool_change("workloads", instanceType="m7i.2xlarge"))
    (urn,) = p.replaced
    assert set(p.replaced[urn]) >= {"vmSize", "agentPoolName"}
    assert p.before[urn]["inputs"]["agentPoolName"] != p.after[urn]["inputs"]["agentPoolName"]


def test_disk_size_change_on_eks_rolls_the_launch_template_without_replacing_the_group(tmp_path: Path) -> None:
    workloads = config_of("prod", "aws").cluster.node_pools.workloads
    p = after(tmp_path, "aws", pool_change("workloads", diskGb=workloads.disk_gb + 20))
    assert p.replaced == {}
    assert "aws:ec2/launchTemplate:LaunchTemplate" in types_of(p.updated)


def test_system_instance_type_change_on_aks_creates_the_new_system_pool_before_the_old_goes(tmp_path: Path) -> None:
    p = after(tmp_path, "azure", pool_change("system", instanceType="Standard_D8s_v5"))
    (urn,) = p.replaced
    assert set(p.replaced[urn]) >= {"vmSize", "agentPoolName"} and p.after[urn]["inputs"]["mode"] == "System"
    old, new = p.before[urn]["inputs"]["agentPoolName"], p.after[urn]["inputs"]["agentPoolName"]
    assert old != new and old[:3] == new[:3] == "sys"
    assert unsafe_removals(p) == [] and p.deleted == {}


def test_system_instance_type_change_on_aks_leaves_the_cluster_and_its_bootstrap_pool_alone(tmp_path: Path) -> None:
    p = after(tmp_path, "azure", pool_change("system", instanceType="Standard_D8s_v5"))
    assert types_of(p.changed()) == {AKS_POOL}
