"""Every cloud resource name stays within its cloud's length and character rules, for the longest
`project` the config model accepts, in the environments with the longest names and the most
resources (staging, prod), on every cloud.

The rules, one row per named field, each with the document it comes from. A resource whose
name Pulumi generates (auto-naming: the logical name plus "-" and 7 random characters) is
checked through its logical name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError, load_config
from components.config.model import PROJECT_MAX_LENGTH
from store_platform_tools.render import RenderResult
from tests.rendering import render_with

LONGEST_PROJECT = ("acme-store-" * 3)[: PROJECT_MAX_LENGTH - 1] + "x"
AUTONAME_SUFFIX = 8  # "-" and 7 random characters


@dataclass(frozen=True)
class Rule:
    field: str  # input holding the name; "" for an auto-named resource (its logical name)
    min: int
    max: int
    pattern: str
    source: str


_RFC1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_GCE = "https://cloud.google.com/compute/docs/naming-resources"
_AZURE = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"

RULES: dict[str, list[Rule]] = {
    # AWS
    "aws:eks/cluster:Cluster": [
        Rule(
            "name",
            1,
            100,
            r"[0-9A-Za-z][A-Za-z0-9\-_]*",
            "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html",
        )
    ],
    "aws:eks/nodeGroup:NodeGroup": [
        Rule(
            "nodeGroupName",
            1,
            63,
            r"[0-9A-Za-z][A-Za-z0-9\-_]*",
            "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html",
        )
    ],
    # S3 adds a 26-character unique suffix to a bucket prefix; bucket names are 3-63.
    "aws:s3/bucket:Bucket": [
        Rule(
            "bucketPrefix",
            3,
            63 - 26,
            r"[a-z0-9][a-z0-9.-]*",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
        )
    ],
    "aws:iam/role:Role": [
        Rule("", 1, 64, r"[\w+=,.@-]+", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html")
    ],
    "aws:kms/alias:Alias": [
        Rule(
            "name",
            7,
            256,
            r"alias/[a-zA-Z0-9/_-]+",
            "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
        )
    ],
    "aws:cloudwatch/logGroup:LogGroup": [
        Rule(
            "name",
            1,
            512,
            r"[\.\-_/#A-Za-z0-9]+",
            "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
        )
    ],
    "aws:ec2/launchTemplate:LaunchTemplate": [
        Rule(
            "",
            3,
            128,
            r"[a-zA-Z0-9\(\)\.\-/_]+",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html",
        )
    ],
    # GCP
    "pulumi:providers:gcp": [
        Rule(
            "project",
            6,
            30,
            r"[a-z][a-z0-9-]*[a-z0-9]",
            "https://cloud.google.com/resource-manager/docs/creating-managing-projects",
        )
    ],
    "gcp:container/cluster:Cluster": [
        Rule(
            "name",
            1,
            40,
            _RFC1035,
            "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Cluster",
        )
    ],
    "gcp:container/nodePool:NodePool": [
        Rule(
            "name",
            1,
            40,
            _RFC1035,
            "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools",
        )
    ],
    "gcp:serviceaccount/account:Account": [
        Rule("accountId", 6, 30, _RFC1035, "https://cloud.google.com/iam/docs/service-accounts-create")
    ],
    "gcp:storage/bucket:Bucket": [
        Rule("name", 3, 63, r"[a-z0-9][a-z0-9_.-]*[a-z0-9]", "https://cloud.google.com/storage/docs/buckets#naming")
    ],
    "gcp:kms/keyRing:KeyRing": [
        Rule("name", 1, 63, r"[a-zA-Z0-9_-]+", "https://cloud.google.com/kms/docs/create-key-ring")
    ],
    "gcp:kms/cryptoKey:CryptoKey": [
        Rule("name", 1, 63, r"[a-zA-Z0-9_-]+", "https://cloud.google.com/kms/docs/create-key")
    ],
    **{
        f"gcp:compute/{kind}": [Rule("name", 1, 63, _RFC1035, _GCE)]
        for kind in (
            "network:Network",
            "subnetwork:Subnetwork",
            "router:Router",
            "routerNat:RouterNat",
            "address:Address",
            "firewall:Firewall",
        )
    },
    # Azure
    "azure-native:resources:ResourceGroup": [Rule("resourceGroupName", 1, 90, r"[-\w\._\(\)]*[-\w_\(\)]", _AZURE)],
    "azure-native:network:VirtualNetwork": [Rule("virtualNetworkName", 2, 64, r"[a-zA-Z0-9][\w\.-]*\w", _AZURE)],
    "azure-native:network:Subnet": [Rule("subnetName", 1, 80, r"[a-zA-Z0-9]([\w\.-]*\w)?", _AZURE)],
    "azure-native:containerservice:ManagedCluster": [
        Rule("resourceName", 1, 63, r"[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?", _AZURE),
        Rule(
            "dnsPrefix", 1, 54, r"[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?", "https://learn.microsoft.com/azure/aks/faq"
        ),
        Rule("nodeResourceGroup", 1, 80, r"[-\w\._\(\)]*[-\w_\(\)]", "https://learn.microsoft.com/azure/aks/faq"),
    ],
    "azure-native:containerservice:AgentPool": [
        Rule("agentPoolName", 1, 12, r"[a-z][a-z0-9]*", "https://learn.microsoft.com/azure/aks/create-node-pools")
    ],
    "azure-native:keyvault:Vault": [Rule("vaultName", 3, 24, r"[a-zA-Z](-?[a-zA-Z0-9])*", _AZURE)],
    "azure-native:keyvault:Key": [Rule("keyName", 1, 127, r"[a-zA-Z0-9-]+", _AZURE)],
    "azure-native:storage:StorageAccount": [Rule("accountName", 3, 24, r"[a-z0-9]+", _AZURE)],
    "azure-native:storage:BlobContainer": [Rule("containerName", 3, 63, r"[a-z0-9](-?[a-z0-9])*", _AZURE)],
    "azure-native:managedidentity:UserAssignedIdentity": [Rule("", 3, 128, r"[a-zA-Z0-9][\w-]*", _AZURE)],
    "azure-native:managedidentity:FederatedIdentityCredential": [
        Rule("federatedIdentityCredentialResourceName", 3, 120, r"[a-zA-Z0-9][\w-]*", _AZURE)
    ],
}

CLOUDS = ("aws", "gcp", "azure")
# Types each cloud's render must hold, so a rule cannot pass by checking nothing.
EXPECTED = {
    "aws": {"aws:eks/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:iam/role:Role"},
    "gcp": {"gcp:container/cluster:Cluster", "gcp:serviceaccount/account:Account", "gcp:storage/bucket:Bucket"},
    "azure": {
        "azure-native:keyvault:Vault",
        "azure-native:storage:StorageAccount",
        "azure-native:containerservice:ManagedCluster",
    },
}


def violations(resource: dict[str, Any]) -> list[str]:
    found = []
    for rule in RULES.get(resource["type"], []):
        if rule.field:
            name = resource["inputs"].get(rule.field)
            if name is None:
                continue
            low, high = rule.min, rule.max
        else:  # auto-named: the logical name plus the random suffix
            name, low, high = resource["name"], rule.min, rule.max - AUTONAME_SUFFIX
        if not isinstance(name, str) or not low <= len(name) <= high or not re.fullmatch(rule.pattern, name):
            found.append(f"{resource['type']} {rule.field or 'logical name'} {name!r} breaks {rule.source}")
    return found


@pytest.fixture(scope="module")
def longest(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RenderResult]:
    renders = {}
    for stack in ("staging", "prod"):
        for cloud in CLOUDS:
            path: Path = tmp_path_factory.mktemp(f"{stack}-{cloud}")
            renders[(stack, cloud)] = render_with(stack, path, {"project": LONGEST_PROJECT}, cloud=cloud)
    return renders


def test_longest_project_is_the_models_maximum() -> None:
    assert len(LONGEST_PROJECT) == PROJECT_MAX_LENGTH
    assert load_config({"project": LONGEST_PROJECT}, "staging").project == LONGEST_PROJECT
    with pytest.raises(ConfigError, match=r"platform\.project"):
        load_config({"project": LONGEST_PROJECT + "x"}, "staging")


@pytest.mark.parametrize("stack", ["staging", "prod"])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_cloud_resource_name_fits_its_clouds_rules(
    longest: dict[tuple[str, str], RenderResult], stack: str, cloud: str
) -> None:
    result = longest[(stack, cloud)]
    assert EXPECTED[cloud] <= {r["type"] for r in result.resources}
    problems = [problem for resource in result.resources for problem in violations(resource)]
    assert problems == []


def test_a_name_too_long_is_caught() -> None:
    resource = {"type": "azure-native:keyvault:Vault", "name": "kv", "inputs": {"vaultName": "k" * 25}}
    assert violations(resource)
