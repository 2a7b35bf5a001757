"""Destroy that finishes, and re-create after destroy: renders of dev (destroyable) and prod
(protected) checked for what the engine would do on `pulumi destroy` and the next `pulumi up`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rendering import of_type, release, render

CLOUDS = ("aws", "gcp", "azure")
RELEASE = "kubernetes:helm.sh/v3:Release"
CRD_ONLY = ("prometheus-operator-crds", "base", "oci://public.ecr.aws/karpenter/karpenter-crd")


def pod_releases(stack: str, cloud: str) -> list[dict[str, Any]]:
    return [r for r in of_type(render(stack, cloud), RELEASE) if r["inputs"]["chart"] not in CRD_ONLY]


def depends_transitively(result: Any, start: dict[str, Any], target_urns: set[str]) -> bool:
    by_urn = {r["urn"]: r for r in result.resources}
    seen, todo = set(), list(start["dependencies"])
    while todo:
        urn = todo.pop()
        if urn in target_urns:
            return True
        if urn in seen or urn not in by_urn:
            continue
        seen.add(urn)
        todo += by_urn[urn]["dependencies"]
    return False


# --- destroying dev -------------------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_nothing_in_dev_is_protected(cloud: str) -> None:
    assert [r["urn"] for r in render("dev", cloud).resources if r["protect"]] == []


@pytest.mark.parametrize(("cloud", "type_"), [("aws", "aws:s3/bucket:Bucket"), ("gcp", "gcp:storage/bucket:Bucket")])
def test_staging_buckets_are_emptied_on_destroy(cloud: str, type_: str) -> None:
    # Dev keeps logs and traces on volumes; staging is the non-prod stack with buckets.
    buckets = of_type(render("staging", cloud), type_)
    assert buckets and all(b["inputs"]["forceDestroy"] is True for b in buckets)


@pytest.mark.parametrize(("cloud", "type_"), [("aws", "aws:s3/bucket:Bucket"), ("gcp", "gcp:storage/bucket:Bucket")])
def test_prod_buckets_are_protected_and_never_emptied(cloud: str, type_: str) -> None:
    buckets = of_type(render("prod", cloud), type_)
    assert buckets and all(b["protect"] and not b["inputs"].get("forceDestroy") for b in buckets)


@pytest.mark.parametrize(
    "egress_type",
    [
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/internetGateway:InternetGateway",
    ],
)
def test_eks_releases_are_uninstalled_before_egress_and_public_subnets(egress_type: str) -> None:
    result = render("dev", "aws")
    # Private subnets are reached through the node groups; the public ones hold the NLB and NAT.
    network = {r["urn"] for r in of_type(result, egress_type) if "-private-" not in r["name"] or "-rt" in r["name"]}
    for rel in pod_releases("dev", "aws"):
        assert network <= set(rel["dependencies"]), rel["name"]


def test_eks_releases_are_uninstalled_before_the_csi_driver() -> None:
    result = render("dev", "aws")
    (csi,) = [
        r["urn"] for r in of_type(result, "aws:eks/addon:Addon") if r["inputs"]["addonName"] == "aws-ebs-csi-driver"
    ]
    assert all(csi in rel["dependencies"] for rel in pod_releases("dev", "aws"))


def test_gke_releases_are_uninstalled_before_cloud_nat() -> None:
    result = render("dev", "gcp")
    nat = {r["urn"] for r in of_type(result, "gcp:compute/routerNat:RouterNat")}
    assert nat and all(depends_transitively(result, rel, nat) for rel in pod_releases("dev", "gcp"))


@pytest.mark.parametrize(
    ("chart", "path"),
    [
        ("vault", ("server", "persistentVolumeClaimRetentionPolicy", "whenDeleted")),
        (
            "kube-prometheus-stack",
            ("prometheus", "prometheusSpec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"),
        ),
    ],
)
def test_volumes_go_with_their_release_in_dev_and_stay_in_prod(chart: str, path: tuple[str, ...]) -> None:
    def at(stack: str) -> Any:
        value: Any = release(render(stack, "aws"), chart)["values"]
        for key in path:
            value = value[key]
        return value

    assert (at("dev"), at("prod")) == ("Delete", "Retain")


def test_loki_and_tempo_volumes_go_with_their_release_in_dev() -> None:
    loki = release(render("dev", "aws"), "loki")["values"]["singleBinary"]["persistence"]
    tempo = release(render("dev", "aws"), "tempo")["values"]["persistence"]
    assert loki["enableStatefulSetAutoDeletePVC"] and tempo["enableStatefulSetAutoDeletePVC"]


# --- re-creating dev ------------------------------------------------------------------------


def _suffix_of(result: Any, resource: dict[str, Any]) -> list[dict[str, Any]]:
    ids = {r["urn"]: r for r in of_type(result, "random:index/randomId:RandomId")}
    return [ids[d] for d in resource["dependencies"] if d in ids]


def test_dev_key_ring_name_carries_a_suffix_drawn_once_per_stack_life() -> None:
    result = render("dev", "gcp")
    (ring,) = of_type(result, "gcp:kms/keyRing:KeyRing")
    (suffix,) = _suffix_of(result, ring)
    assert (
        ring["inputs"]["name"].startswith("acme-store-dev-")
        and len(ring["inputs"]["name"]) == len("acme-store-dev-") + 6
    )
    assert suffix["inputs"]["byteLength"] == 3


def test_prod_key_ring_keeps_its_name_and_is_protected() -> None:
    result = render("prod", "gcp")
    (ring,) = of_type(result, "gcp:kms/keyRing:KeyRing")
    assert ring["inputs"]["name"] == "acme-store-prod" and ring["protect"]
    assert _suffix_of(result, ring) == []


def test_dev_key_vault_name_is_unique_per_stack_life() -> None:
    result = render("dev", "azure")
    (vault,) = of_type(result, "azure-native:keyvault:Vault")
    assert len(_suffix_of(result, vault)) == 1
    assert vault["inputs"]["properties"].get("enablePurgeProtection") is None


def test_prod_key_vault_name_is_stable_and_purge_protected() -> None:
    result = render("prod", "azure")
    (vault,) = of_type(result, "azure-native:keyvault:Vault")
    assert _suffix_of(result, vault) == [] and vault["protect"]
    assert vault["inputs"]["properties"]["enablePurgeProtection"] is True
