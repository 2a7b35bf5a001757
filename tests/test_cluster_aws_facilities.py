"""The EKS cluster's facilities, asked for by a tiny add-on under mocks: an IRSA identity with
each grant type, a KMS key with Vault's seal parameters, a private bucket, load balancer
annotations."""

from __future__ import annotations

import functools
import json
from typing import Any

import pulumi
import pytest

from components.cluster import BucketReadWrite, ClusterInfo, KmsKeyUse, SecretsRead, ServiceAccountRef
from components.cluster.eks.facilities import bucket_prefix, load_balancer_annotations
from components.config import read_stack_config
from components.platform import Platform
from store_platform_tools.cloud_mocks.aws import ACCOUNT_ID
from store_platform_tools.render import RenderResult, run_program
from store_platform_tools.stackfile import load_stack
from tests.rendering import ROOT, one

ACCOUNT = ServiceAccountRef("monitoring", "loki")


class Probe(pulumi.ComponentResource):
    """Stands in for an add-on: asks the cluster for each facility."""

    def __init__(self, name: str, cluster: ClusterInfo):
        super().__init__("store-platform:test:Probe", name, None, None)
        key = cluster.kms_key(f"{name}-vault", "Vault auto-unseal", self)
        bucket = cluster.bucket(f"{name}-loki", "Loki chunks and index", self)
        assert key is not None and bucket is not None
        identity = cluster.workload_identity(
            f"{name}-loki", ACCOUNT, [KmsKeyUse(key), BucketReadWrite(bucket), SecretsRead("store/")], self
        )
        self.outputs = {
            "annotations": identity.service_account_annotations,
            "seal": key.seal_config,
            "sealType": key.seal_type,
            "bucket": bucket.name,
            "bucketRegion": bucket.region,
        }
        self.register_outputs({})


def probe_program() -> dict[str, Any]:
    config, secrets = read_stack_config()
    platform = Platform("store", config, secrets)
    return Probe("probe", platform.cluster).outputs


@functools.cache
def probed(stack: str) -> RenderResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("components.program.build_platform", probe_program)
        return run_program(load_stack(ROOT, stack, cloud="aws"))


def policy_of(name: str) -> dict[str, Any]:
    return json.loads(one(probed("dev"), "aws:iam/rolePolicy:RolePolicy", name)["inputs"]["policy"])


def statements_for(action: str) -> list[dict[str, Any]]:
    statements = policy_of("probe-loki-policy")["Statement"]
    return [s for s in statements if action in s["Action"]]


# --- workload identity -----------------------------------------------------------------------


def test_workload_identity_annotates_the_service_account_with_its_role() -> None:
    annotations = probed("dev").outputs["annotations"]
    assert list(annotations) == ["eks.amazonaws.com/role-arn"]
    assert annotations["eks.amazonaws.com/role-arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/probe-loki-role-")


def test_workload_identity_role_trusts_only_that_service_account() -> None:
    trust = json.loads(one(probed("dev"), "aws:iam/role:Role", "probe-loki-role")["inputs"]["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.eks.")
    conditions = statement["Condition"]["StringEquals"]
    assert sorted(conditions.values()) == ["sts.amazonaws.com", "system:serviceaccount:monitoring:loki"]
    assert all(key.startswith("oidc.eks.us-east-1.amazonaws.com/id/") for key in conditions)


def test_kms_key_use_grant_allows_encrypt_and_decrypt_on_that_key_only() -> None:
    [statement] = statements_for("kms:Decrypt")
    assert statement["Resource"] == probed("dev").outputs["seal"]["kms_key_id"]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"]


def test_bucket_grant_allows_object_read_write_in_that_bucket_only() -> None:
    bucket = probed("dev").outputs["bucket"]
    [objects] = statements_for("s3:PutObject")
    [listing] = statements_for("s3:ListBucket")
    assert objects["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert listing["Resource"] == f"arn:aws:s3:::{bucket}"


def test_secrets_read_grant_is_limited_to_the_prefix() -> None:
    [statement] = statements_for("secretsmanager:GetSecretValue")
    assert statement["Resource"] == f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_ID}:secret:store/*"
    assert not any("Put" in action or "Create" in action for action in statement["Action"])


def test_facility_resources_belong_to_the_asking_add_on_on_the_aws_provider() -> None:
    result = probed("dev")
    probe = one(result, "store-platform:test:Probe")["urn"]
    provider = one(result, "pulumi:providers:aws")["urn"]
    mine = [r for r in result.resources if r["name"].startswith("probe-")]
    assert {r["parent"] for r in mine if r["type"].startswith("aws:")} == {probe}
    assert all(r["provider"] == provider for r in mine if r["type"].startswith("aws:"))


# --- KMS key ---------------------------------------------------------------------------------


def test_kms_key_returns_the_awskms_seal_parameters() -> None:
    outputs = probed("dev").outputs
    assert outputs["sealType"] == "awskms"
    assert outputs["seal"]["region"] == "us-east-1"
    assert outputs["seal"]["kms_key_id"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/")


def test_kms_key_rotates() -> None:
    assert one(probed("dev"), "aws:kms/key:Key", "probe-vault-key")["inputs"]["enableKeyRotation"] is True


@pytest.mark.parametrize(("stack", "protect"), [("dev", False), ("prod", True)])
def test_kms_key_and_bucket_are_protected_in_prod(stack: str, protect: bool) -> None:
    assert one(probed(stack), "aws:kms/key:Key", "probe-vault-key")["protect"] is protect
    assert one(probed(stack), "aws:s3/bucket:Bucket", "probe-loki-bucket")["protect"] is protect


# --- bucket ----------------------------------------------------------------------------------


def test_bucket_blocks_every_form_of_public_access() -> None:
    block = one(probed("dev"), "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[flag] is True for flag in flags)


def test_bucket_is_encrypted_at_rest() -> None:
    rules = one(probed("dev"), "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert rules["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_bucket_refuses_requests_without_tls() -> None:
    policy = json.loads(one(probed("dev"), "aws:s3/bucketPolicy:BucketPolicy")["inputs"]["policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_objects_are_owned_by_the_bucket_owner() -> None:
    controls = one(probed("dev"), "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert controls["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_bucket_expires_leftovers_after_the_retention_period() -> None:
    [rule] = one(probed("dev"), "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"]["rules"]
    assert rule["expiration"]["days"] == 7 + 30  # dev keeps observability data 7 days
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1


def test_bucket_name_is_unique_and_in_the_stack_region() -> None:
    outputs = probed("dev").outputs
    assert outputs["bucket"].startswith("acme-store-dev-probe-loki-")
    assert len(outputs["bucket"]) > len("acme-store-dev-probe-loki-")
    assert outputs["bucketRegion"] == "us-east-1"


def test_bucket_prefix_is_a_valid_s3_name_start() -> None:
    prefix = bucket_prefix("acme-store-prod", "store-observability-Loki_chunks-with-a-very-long-name")
    assert len(prefix) <= 37
    assert prefix.endswith("-")
    assert prefix == prefix.lower() and "_" not in prefix


# --- load balancers --------------------------------------------------------------------------


def test_internal_load_balancer_is_an_internal_nlb() -> None:
    assert load_balancer_annotations(internal=True) == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    }


def test_internet_facing_load_balancer_is_a_public_nlb() -> None:
    assert load_balancer_annotations(internal=False) == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
