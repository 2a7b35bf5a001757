"""What add-ons ask the EKS cluster for: an IRSA identity, a KMS key, an S3 bucket, load balancer
annotations. Each creates its resources under the asking add-on (`parent`), on the cluster's
AWS provider."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ...config import PlatformConfig
from ..info import Bucket, DnsZone, Grant, KmsKey, ServiceAccountRef, WorkloadIdentity
from .iam import IRSA_ANNOTATION, OidcProvider, grant_statements, irsa_role, policy_document

# S3 appends a 26-character unique suffix to a bucket prefix; bucket names stop at 63.
_BUCKET_PREFIX_MAX = 37


def slug(name_prefix: str, name: str, limit: int) -> str:
    """`<project>-<environment>-<name>` in lowercase letters, digits and hyphens, at most `limit` long."""
    text = re.sub(r"[^a-z0-9-]+", "-", f"{name_prefix}-{name}".lower())
    return text[:limit].rstrip("-")


def bucket_prefix(name_prefix: str, name: str) -> str:
    """A readable, valid S3 bucket name prefix, ending in a hyphen before S3's unique suffix."""
    return slug(name_prefix, name, _BUCKET_PREFIX_MAX - 1) + "-"


def lifecycle_expiry_days(retention_days: int) -> int:
    # Loki and Tempo delete what they no longer need themselves; the bucket rule only catches
    # what they leave behind, a month after their own retention.
    return retention_days + 30


def workload_identity(
    name: str,
    account: ServiceAccountRef,
    grants: Sequence[Grant],
    oidc: OidcProvider,
    region: str,
    account_id: pulumi.Output[str],
    opts: pulumi.ResourceOptions,
) -> WorkloadIdentity:
    """An IAM role for one service account (IRSA), allowed exactly `grants`."""
    role = irsa_role(name, oidc, account, f"IRSA role of {account.namespace}/{account.name}", opts)
    if grants:
        statements = [grant_statements(grant, region, account_id) for grant in grants]
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(*statements).apply(
                lambda groups: policy_document([s for group in groups for s in group])
            ),
            opts=opts,
        )
    return WorkloadIdentity(service_account_annotations=role.arn.apply(lambda arn: {IRSA_ANNOTATION: arn}))


def kms_key(name: str, purpose: str, config: PlatformConfig, opts: pulumi.ResourceOptions) -> KmsKey:
    """A symmetric key with yearly rotation, for Vault's awskms seal. Protected in prod: data
    sealed with a deleted key is gone."""
    key = aws.kms.Key(
        f"{name}-key",
        description=purpose,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=config.is_prod)),
    )
    aws.kms.Alias(
        f"{name}-key-alias",
        name=f"alias/{slug(config.name_prefix, name, 200)}",
        target_key_id=key.key_id,
        opts=opts,
    )
    # The ARN, not the bare key id: IAM policies need it, and the seal accepts either.
    return KmsKey(
        seal_type="awskms",
        seal_config=key.arn.apply(lambda arn: {"region": config.region, "kms_key_id": arn}),
        key_id=key.arn,
    )


def bucket(name: str, purpose: str, config: PlatformConfig, opts: pulumi.ResourceOptions) -> Bucket:
    """A private, encrypted, TLS-only bucket for logs or traces, objects owned by the bucket
    owner (ACLs off), leftovers expired. Follows the S3 security best practices (AWS Foundational
    Security Best Practices S3.1, S3.5, S3.8, S3.19). Protected in prod."""
    b = aws.s3.Bucket(
        f"{name}-bucket",
        bucket_prefix=bucket_prefix(config.name_prefix, name),
        # Outside prod, destroy empties it (Loki and Tempo have written to it); prod's is protected.
        force_destroy=not config.is_prod,
        tags={"Purpose": purpose},
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=config.is_prod)),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-bucket-public-access",
        bucket=b.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-bucket-ownership",
        bucket=b.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-bucket-encryption",
        bucket=b.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=opts,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-bucket-lifecycle",
        bucket=b.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-leftovers",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=lifecycle_expiry_days(config.observability.retention_days)
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=1
                ),
            )
        ],
        opts=opts,
    )
    aws.s3.BucketPolicy(
        f"{name}-bucket-tls-only",
        bucket=b.id,
        policy=b.arn.apply(tls_only_policy),
        # S3 rejects concurrent changes to one bucket's settings: the policy goes last.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_access])),
    )
    return Bucket(kind="s3", name=b.bucket, region=config.region)


def tls_only_policy(bucket_arn: str) -> str:
    return policy_document(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )


def dns_zone(name: str, domain: str, config: PlatformConfig, opts: pulumi.ResourceOptions) -> DnsZone:
    """A public Route 53 hosted zone for the stack's domain. Protected in prod (its name servers
    are delegated from the parent zone); elsewhere a destroy removes the records external-dns left."""
    zone = aws.route53.Zone(
        f"{name}-zone",
        name=domain,
        comment=f"{config.name_prefix}: the platform's hosts (records written by external-dns)",
        force_destroy=not config.is_prod,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=config.is_prod)),
    )
    return DnsZone(
        kind="route53", domain=domain, zone_id=zone.zone_id, name_servers=zone.name_servers, region=config.region
    )


def load_balancer_annotations(internal: bool) -> dict[str, str]:
    """A Network Load Balancer from EKS's service controller, internal (private subnets, tagged
    `kubernetes.io/role/internal-elb`) or internet-facing (public subnets, `.../elb`)."""
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    if internal:
        annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true"
    return annotations
