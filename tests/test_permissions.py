"""Every permission an add-on needs at runtime (components/cluster/permissions.py, each with its
source) is granted to that add-on's cloud identity in the render, on the one key, bucket or
secret prefix it uses, and nothing is granted project- or account-wide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.cluster.permissions import AZURE_ROLES, GCP_ROLES, NEEDS, Need
from store_platform_tools.render import RenderResult
from tests.rendering import of_type, render, render_with

# Where a grant's target shows in its scope (Azure), resource ARN (AWS) or resource type (GCP).
AWS_ON = {"key": ":kms:", "bucket": ":s3:::", "secrets": ":secretsmanager:"}
AZURE_ON = {"key": "/keys/", "bucket": "/blobServices/default/containers/"}
GCP_ON = {
    "key": "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "bucket": "gcp:storage/bucketIAMMember:BucketIAMMember",
}


@pytest.fixture(scope="module")
def secrets_manager(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    path: Path = tmp_path_factory.mktemp("eso")
    return render_with("prod", path, {"secrets": {"backend": "aws-secrets-manager"}}, cloud="aws")


def _render(need: Need, secrets_manager: RenderResult) -> RenderResult:
    return secrets_manager if need.on == "secrets" else render("prod", need.cloud)


def _by_name(result: RenderResult, type_: str, name: str) -> dict[str, Any]:
    found = [r for r in of_type(result, type_) if r["name"] == name]
    assert len(found) == 1, f"no {type_} {name}"
    return found[0]


def granted_aws(result: RenderResult, need: Need) -> dict[str, set[str]]:
    """Actions of the IRSA role that trusts the add-on's service account, by resource ARN."""
    subject = f"system:serviceaccount:{need.namespace}:{need.service_account}"
    roles = [r for r in of_type(result, "aws:iam/role:Role") if subject in r["inputs"]["assumeRolePolicy"]]
    assert len(roles) == 1, f"no IRSA role for {subject}"
    policy = _by_name(result, "aws:iam/rolePolicy:RolePolicy", roles[0]["name"].removesuffix("-role") + "-policy")
    grants: dict[str, set[str]] = {}
    for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            grants.setdefault(resource, set()).update(statement["Action"])
    return grants


def granted_gcp(result: RenderResult, need: Need) -> dict[str, set[str]]:
    """Permissions of the Google account bound to the add-on's service account, by grant type."""
    suffix = f"[{need.namespace}/{need.service_account}]"
    bindings = [
        b for b in of_type(result, "gcp:serviceaccount/iAMMember:IAMMember") if b["inputs"]["member"].endswith(suffix)
    ]
    assert len(bindings) == 1, f"no workload identity binding for {suffix}"
    member = "serviceAccount:" + bindings[0]["inputs"]["serviceAccountId"].rsplit("/", 1)[-1]
    grants: dict[str, set[str]] = {}
    for resource in result.resources:
        if resource["type"].endswith("IAMMember") and resource["inputs"].get("member") == member:
            grants.setdefault(resource["type"], set()).update(GCP_ROLES.get(resource["inputs"]["role"], set()))
    return grants


def granted_azure(result: RenderResult, need: Need) -> dict[str, set[str]]:
    """Data actions of the managed identity federated with the add-on's service account, by scope."""
    subject = f"system:serviceaccount:{need.namespace}:{need.service_account}"
    federations = [
        f
        for f in of_type(result, "azure-native:managedidentity:FederatedIdentityCredential")
        if f["inputs"]["subject"] == subject
    ]
    assert len(federations) == 1, f"no federated credential for {subject}"
    prefix = federations[0]["name"].removesuffix("-federation") + "-grant-"
    grants: dict[str, set[str]] = {}
    for assignment in of_type(result, "azure-native:authorization:RoleAssignment"):
        if assignment["name"].startswith(prefix):
            role = assignment["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1]
            grants.setdefault(assignment["inputs"]["scope"], set()).update(AZURE_ROLES.get(role, set()))
    return grants


def on_target(need: Need, grants: dict[str, set[str]]) -> set[str]:
    """The permissions granted on the kind of resource the need is about."""
    marker = {"aws": AWS_ON, "gcp": GCP_ON, "azure": AZURE_ON}[need.cloud][need.on]
    return {p for target, permissions in grants.items() if marker in target for p in permissions}


GRANTED = {"aws": granted_aws, "gcp": granted_gcp, "azure": granted_azure}


@pytest.mark.parametrize("need", NEEDS, ids=lambda n: f"{n.addon}-{n.cloud}")
def test_each_add_on_identity_holds_what_its_documentation_asks(need: Need, secrets_manager: RenderResult) -> None:
    grants = GRANTED[need.cloud](_render(need, secrets_manager), need)
    missing = need.permissions - on_target(need, grants)
    assert not missing, f"{need.addon} on {need.cloud} lacks {sorted(missing)} (see {need.source})"


@pytest.mark.parametrize("need", NEEDS, ids=lambda n: f"{n.addon}-{n.cloud}")
def test_each_add_on_identity_is_granted_on_its_own_resource_only(need: Need, secrets_manager: RenderResult) -> None:
    grants = GRANTED[need.cloud](_render(need, secrets_manager), need)
    marker = {"aws": AWS_ON, "gcp": GCP_ON, "azure": AZURE_ON}[need.cloud][need.on]
    assert grants and all(marker in target for target in grants), sorted(grants)
    assert "*" not in grants  # no wildcard resource


def test_every_need_cites_its_source() -> None:
    assert all(need.source.startswith("https://") for need in NEEDS)
    assert {(n.addon, n.cloud) for n in NEEDS} >= {
        (a, c) for a in ("vault", "loki", "tempo") for c in ("aws", "gcp", "azure")
    }


def test_a_missing_permission_is_caught() -> None:
    tempo_gcs = next(n for n in NEEDS if n.addon == "tempo" and n.cloud == "gcp")
    object_admin_only = {GCP_ON["bucket"]: set(GCP_ROLES["roles/storage.objectAdmin"])}
    assert tempo_gcs.permissions - on_target(tempo_gcs, object_admin_only) == {"storage.buckets.get"}
