"""Lifecycle: render a stack before and after a day-2 change and check what the engine would do,
from the table of replacement-forcing provider properties (components/cluster/pool_versions.py,
each row citing its provider document): which resources change, which are replaced, and that
nothing stateful or serving is replaced or deleted without a successor up first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.lifecycle import Plan, plan, unsafe_removals
from tests.rendering import config_of, of_type, render, render_with

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


# --- certificate renewal --------------------------------------------------------------------

CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
RENEWED_SECRETS = {("vault", "vault-tls"), ("linkerd", "linkerd-identity-issuer")}


def _hours(duration: str) -> int:
    hours, rest = duration.split("h", 1)
    assert rest == "0m0s", duration
    return int(hours)


def linkerd_prod(tmp_path: Path) -> Any:
    tmp_path.mkdir(exist_ok=True)
    return render_with("prod", tmp_path, {"mesh": {"provider": "linkerd"}}, "gcp")


def test_certificate_renewal_changes_no_pulumi_resource(tmp_path: Path) -> None:
    """Renewal is cert-manager's, in Secrets Pulumi does not declare: the program declares no
    certificate it signs itself (only the roots), no renewed Secret, and a later run (time
    passed, certificates renewed) plans nothing."""
    first = linkerd_prod(tmp_path / "first")
    assert not [r for r in first.resources if r["type"] == "tls:index/locallySignedCert:LocallySignedCert"]
    secrets = {
        (r["inputs"]["metadata"].get("namespace"), r["inputs"]["metadata"]["name"])
        for r in first.resources
        if r["type"] == "kubernetes:core/v1:Secret"
    }
    assert not secrets & RENEWED_SECRETS
    p = plan(first, linkerd_prod(tmp_path / "later"))
    assert p.changed() == set()


def test_every_pulumi_made_certificate_is_a_long_lived_root(tmp_path: Path) -> None:
    roots = [r for r in linkerd_prod(tmp_path).resources if r["type"] == "tls:index/selfSignedCert:SelfSignedCert"]
    assert len(roots) == 2  # Vault's CA and Linkerd's trust anchor
    for root in roots:
        assert root["inputs"]["isCaCertificate"] is True
        assert root["inputs"]["validityPeriodHours"] >= 5 * 365 * 24


def test_every_certificate_renews_before_expiry_and_is_covered_by_the_expiry_alerts(tmp_path: Path) -> None:
    result = linkerd_prod(tmp_path)
    certificates = {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"] for r in of_type(result, CERTIFICATE)}
    assert {"vault-tls", "linkerd-identity-issuer"} <= set(certificates)
    for name, spec in certificates.items():
        if "duration" in spec:  # the public hosts' take cert-manager's defaults (90 days, renewed at 2/3)
            assert 0 < _hours(spec["renewBefore"]) < _hours(spec["duration"]), name
    (rules,) = [
        r["inputs"]["spec"]
        for r in of_type(result, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        if r["inputs"]["metadata"]["name"] == "certificates"
    ]
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {"CertificateExpiresIn30Days", "CertificateExpiresIn7Days", "CertificateNotReady"} <= set(alerts)
    # The rules select no certificate by name: every Certificate cert-manager manages is covered.
    assert all("name=" not in alerts[a]["expr"] for a in alerts)


def test_a_vault_chart_bump_updates_the_release_in_place_and_rolls_its_pods(tmp_path: Path) -> None:
    p = plan(render("prod", "aws"), render_with("prod", tmp_path, {"charts": {"vault": {"version": "0.35.0"}}}, "aws"))
    assert p.replaced == {} and p.created == {} and p.deleted == {}
    (urn,) = p.updated
    assert p.after[urn]["inputs"]["chart"] == "vault" and p.updated[urn] == ["version"]
    assert p.after[urn]["inputs"]["values"]["server"]["updateStrategyType"] == "RollingUpdate"
