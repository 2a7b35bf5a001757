"""The CrossGuard policy pack's checks, without the engine: synthetic resources, then every render."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.rendering import ROOT, STACKS_ON_CLOUDS

_spec = importlib.util.spec_from_file_location("store_policy_validators", ROOT / "policy" / "validators.py")
assert _spec and _spec.loader
v = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = v
_spec.loader.exec_module(v)

PROD = {"project": "acme-store", "environment": "prod", "managed-by": "pulumi"}
DEV = {**PROD, "environment": "dev"}


def eks(tags, **inputs):
    return v.Resource("aws:eks/cluster:Cluster", {"tags": tags, **inputs})


def test_public_eks_endpoint_in_prod_is_a_violation():
    assert v.public_endpoint_in_prod(eks(PROD, vpcConfig={"endpointPublicAccess": True}))


def test_prod_eks_public_endpoint_limited_to_deployer_cidrs_passes():
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.7/32"]}
    assert not v.public_endpoint_in_prod(eks(PROD, vpcConfig=vpc))


def test_prod_eks_public_endpoint_open_to_the_internet_is_a_violation():
    vpc = {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.7/32", "0.0.0.0/0"]}
    assert v.public_endpoint_in_prod(eks(PROD, vpcConfig=vpc))


@pytest.mark.parametrize(("ranges", "violation"), [(["198.51.100.7/32"], False), ([], True), (None, True)])
def test_prod_aks_public_endpoint_must_list_its_ranges(ranges, violation):
    profile = {"enablePrivateCluster": False, "enableVnetIntegration": True}
    if ranges is not None:
        profile["authorizedIPRanges"] = ranges
    r = v.Resource("azure-native:containerservice:ManagedCluster", {"tags": PROD, "apiServerAccessProfile": profile})
    assert bool(v.public_endpoint_in_prod(r)) is violation


def test_public_eks_endpoint_in_dev_is_allowed():
    assert not v.public_endpoint_in_prod(eks(DEV, vpcConfig={"endpointPublicAccess": True}))


def test_private_gke_endpoint_in_prod_passes():
    r = v.Resource(
        "gcp:container/cluster:Cluster",
        {"resourceLabels": PROD, "privateClusterConfig": {"enablePrivateEndpoint": True}},
    )
    assert not v.public_endpoint_in_prod(r)


def test_prod_environment_read_from_provider_default_tags():
    r = v.Resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}}, provider_default_tags=PROD)
    assert v.public_endpoint_in_prod(r)


def test_eks_without_secrets_encryption_is_a_violation():
    assert v.secrets_encryption(eks(DEV))


def test_eks_with_kms_secrets_encryption_passes():
    assert not v.secrets_encryption(
        eks(DEV, encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:..."}})
    )


def test_aks_without_key_vault_kms_is_a_violation():
    assert v.secrets_encryption(v.Resource("azure-native:containerservice:ManagedCluster", {"tags": DEV}))


@pytest.mark.parametrize("version", ["", "latest", "^1.2.0", "1.x", "~1.28"])
def test_unpinned_helm_release_is_a_violation(version):
    assert v.helm_release_pinned(v.Resource("kubernetes:helm.sh/v3:Release", {"chart": "istiod", "version": version}))


@pytest.mark.parametrize("version", ["1.28.2", "v1.19.1", "3.24.0-beta.0"])
def test_exact_helm_version_passes(version):
    assert not v.helm_release_pinned(v.Resource("kubernetes:helm.sh/v3:Release", {"chart": "x", "version": version}))


@pytest.mark.parametrize(
    "values",
    [
        {"config": {"slack_api_url": "https://hooks.slack.com/services/T0/B0/xyz"}},
        {"auth": {"password": "hunter2"}},
        {"env": [{"name": "X", "value": "-----BEGIN RSA PRIVATE KEY-----abc"}]},
        {"grafana": {"adminPassword": "admin"}},
    ],
)
def test_secret_looking_helm_values_are_violations(values):
    assert v.no_secret_in_helm_values(v.Resource("kubernetes:helm.sh/v3:Release", {"values": values}))


@pytest.mark.parametrize(
    "values",
    [
        {"alertmanager": {"api_url_file": "/etc/alertmanager/secrets/slack/url"}},
        {"grafana": {"admin": {"existingSecret": "grafana-admin", "passwordKey": "password"}}},
        {"server": {"tokenSecretName": "vault-token"}},
    ],
)
def test_secret_references_in_helm_values_pass(values):
    assert not v.no_secret_in_helm_values(v.Resource("kubernetes:helm.sh/v3:Release", {"values": values}))


def test_missing_tags_are_a_violation():
    assert v.required_tags(v.Resource("aws:kms/key:Key", {"tags": {"project": "acme-store"}})) == [
        "missing required tags/labels: environment, managed-by"
    ]


@pytest.mark.parametrize(
    "inputs",
    [
        {"defaultTags": {"tags": PROD}},
        {"defaultTags": '{"tags": {"project": "acme-store", "environment": "prod", "managed-by": "pulumi"}}'},
        {"defaultLabels": '{"project": "acme-store", "environment": "prod", "managed-by": "pulumi"}'},
    ],
)
def test_provider_default_tags_are_read_in_either_encoding(inputs):
    assert v.provider_default_tags(inputs) == PROD


def test_provider_default_tags_satisfy_the_tag_rule():
    assert not v.required_tags(v.Resource("aws:kms/key:Key", {}, provider_default_tags=PROD))


def test_unprotected_prod_cluster_is_a_violation():
    assert v.prod_stateful_protected(eks(PROD))


def test_protected_prod_cluster_passes():
    assert not v.prod_stateful_protected(v.Resource("aws:eks/cluster:Cluster", {"tags": PROD}, protect=True))


def test_single_node_prod_pool_is_flagged():
    r = v.Resource("aws:eks/nodeGroup:NodeGroup", {"tags": PROD, "scalingConfig": {"minSize": 1, "maxSize": 3}})
    assert v.node_pool_sizing(r)


def test_sane_node_pool_passes():
    r = v.Resource("aws:eks/nodeGroup:NodeGroup", {"tags": PROD, "scalingConfig": {"minSize": 3, "maxSize": 12}})
    assert not v.node_pool_sizing(r)


def policy_resources(stack: str, cloud: str):
    """A render's resources as the policy pack sees them, provider default tags resolved."""
    from tests.rendering import render

    resources = render(stack, cloud).resources
    defaults = {r["urn"]: v.provider_default_tags(r["inputs"]) for r in resources if r["type"].startswith("pulumi:")}
    return [
        (r["urn"], v.Resource(r["type"], r["inputs"], r["protect"], defaults.get(r["provider"] or "", {})))
        for r in resources
    ]


@pytest.mark.parametrize(("stack", "cloud"), STACKS_ON_CLOUDS)
def test_every_render_passes_the_mandatory_policies(stack, cloud):
    violations = [
        f"{urn}: {message}"
        for urn, r in policy_resources(stack, cloud)
        for check in v.MANDATORY
        for message in check(r)
    ]
    assert violations == []


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_prod_cluster_is_checked_as_prod(cloud):
    clusters = [r for _, r in policy_resources("prod", cloud) if r.type in v.STATEFUL_TYPES and "luster" in r.type]
    assert clusters and all(v.environment_of(r) == "prod" for r in clusters)
