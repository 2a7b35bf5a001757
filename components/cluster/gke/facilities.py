"""What add-ons ask of the cluster on GCP: a Google service account bound to a Kubernetes one
through Workload Identity, a Cloud KMS key, a Cloud Storage bucket."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from ...config import PlatformConfig
from ...tags import standard_tags
from ..info import (
    Bucket,
    BucketReadWrite,
    DnsRecordsWrite,
    DnsZone,
    Grant,
    KmsKey,
    KmsKeyUse,
    SecretsRead,
    ServiceAccountRef,
    WorkloadIdentity,
)
from .control_plane import workload_pool
from .keys import crypto_key, grant_key_use
from .names import gcp_name, service_account_id

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
# Read, write, list and delete objects (compactors delete expired chunks), and read the bucket's
# own metadata (storage.buckets.get: Tempo reads it at start-up); no bucket admin. Both granted
# on the one bucket. The full list per add-on, with sources: components/cluster/permissions.py.
BUCKET_READ_WRITE = ("roles/storage.objectAdmin", "roles/storage.legacyBucketReader")
# Vault's gcpckms seal reads the key's metadata (cloudkms.cryptoKeys.get) besides using it.
KEY_VIEWER = "roles/cloudkms.viewer"
# Records in one managed zone: granted on the zone itself, not the project
# (https://cloud.google.com/dns/docs/zones/iam-per-resource-zones).
DNS_ZONE_ROLE = "roles/dns.admin"
# external-dns finds its zone by listing the project's zones, which Cloud DNS grants only on the
# project: a custom role of that one permission (zone names, no records), not roles/dns.reader.
DNS_ZONE_LIST_PERMISSIONS = ["dns.managedZones.list"]
# Objects an add-on's own retention should already have removed go this many days later.
BUCKET_GRACE_DAYS = 7


def workload_identity(
    name: str,
    account: ServiceAccountRef,
    grants: Sequence[Grant],
    parent: pulumi.Resource,
    *,
    config: PlatformConfig,
    cluster: gcp.container.Cluster,
    provider: gcp.Provider,
    apis: Sequence[pulumi.Resource],
) -> WorkloadIdentity:
    for grant in grants:
        if isinstance(grant, SecretsRead):
            raise ValueError(
                f"{name}: SecretsRead reads AWS Secrets Manager, which gcp does not have; "
                "keep the secret in Vault (secrets.backend: vault)"
            )
    # The IAM, Storage and KMS APIs may be enabled in this very run (a fresh project).
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(apis))
    google_account = gcp.serviceaccount.Account(
        f"{name}-gsa",
        gcp.serviceaccount.AccountArgs(
            # The environment is part of the id, so a project shared by several stacks still
            # gives each environment its own account; every grant below is on one resource.
            account_id=service_account_id(f"{config.environment}-{account.namespace}-{account.name}"),
            display_name=f"{config.name_prefix} {account.namespace}/{account.name}",
            project=config.gcp_project_id,
        ),
        opts=opts,
    )
    gcp.serviceaccount.IAMMember(
        f"{name}-workload-identity",
        gcp.serviceaccount.IAMMemberArgs(
            service_account_id=google_account.name,
            role=WORKLOAD_IDENTITY_USER,
            member=f"serviceAccount:{workload_pool(config)}[{account.namespace}/{account.name}]",
        ),
        # The workload identity pool exists once a cluster that uses it does.
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[*apis, cluster]),
    )
    for i, grant in enumerate(grants):
        if isinstance(grant, KmsKeyUse):
            grant_key_use(
                f"{name}-kms-{i}", grant.key.key_id, google_account.member, parent, provider, depends_on=list(apis)
            )
            gcp.kms.CryptoKeyIAMMember(
                f"{name}-kms-{i}-viewer",
                gcp.kms.CryptoKeyIAMMemberArgs(
                    crypto_key_id=grant.key.key_id, role=KEY_VIEWER, member=google_account.member
                ),
                opts=opts,
            )
        elif isinstance(grant, BucketReadWrite):
            for role in BUCKET_READ_WRITE:
                suffix = "" if role == BUCKET_READ_WRITE[0] else f"-{role.rsplit('.', 1)[-1].lower()}"
                gcp.storage.BucketIAMMember(
                    f"{name}-bucket-{i}{suffix}",
                    gcp.storage.BucketIAMMemberArgs(bucket=grant.bucket.name, role=role, member=google_account.member),
                    opts=opts,
                )
        elif isinstance(grant, DnsRecordsWrite):
            gcp.dns.DnsManagedZoneIamMember(
                f"{name}-dns-{i}",
                gcp.dns.DnsManagedZoneIamMemberArgs(
                    managed_zone=grant.zone.zone_id,
                    project=grant.zone.project,
                    role=DNS_ZONE_ROLE,
                    member=google_account.member,
                ),
                opts=opts,
            )
            if grant.list_zones:
                lister = gcp.projects.IAMCustomRole(
                    f"{name}-dns-{i}-lister",
                    gcp.projects.IAMCustomRoleArgs(
                        role_id=f"{config.environment}_{account.name}_zone_lister".replace("-", "_"),
                        title=f"{config.name_prefix} {account.name}: list DNS zones",
                        permissions=DNS_ZONE_LIST_PERMISSIONS,
                        project=grant.zone.project,
                    ),
                    opts=opts,
                )
                gcp.projects.IAMMember(
                    f"{name}-dns-{i}-list",
                    gcp.projects.IAMMemberArgs(
                        project=grant.zone.project, role=lister.name, member=google_account.member
                    ),
                    opts=opts,
                )
    return WorkloadIdentity(
        service_account_annotations=google_account.email.apply(lambda email: {"iam.gke.io/gcp-service-account": email})
    )


def kms_key(
    name: str,
    purpose: str,
    parent: pulumi.Resource,
    *,
    config: PlatformConfig,
    ring: gcp.kms.KeyRing,
    provider: gcp.Provider,
) -> KmsKey:
    key = crypto_key(f"{name}-kms-key", purpose, config, ring, parent, provider)
    seal_config = pulumi.Output.all(ring.name, key.name).apply(
        lambda names: {
            "project": config.gcp_project_id,
            "region": config.region,
            "key_ring": names[0],
            "crypto_key": names[1],
        }
    )
    return KmsKey(seal_type="gcpckms", seal_config=seal_config, key_id=key.id)


def bucket(
    name: str,
    purpose: str,
    parent: pulumi.Resource,
    *,
    config: PlatformConfig,
    provider: gcp.Provider,
    apis: Sequence[pulumi.Resource],
) -> Bucket:
    created = gcp.storage.Bucket(
        f"{name}-bucket",
        gcp.storage.BucketArgs(
            # Bucket names are global; the project id in front is itself globally unique.
            name=gcp_name(f"{config.name_prefix}-{purpose}"),
            project=config.gcp_project_id,
            location=config.region.upper(),
            # Encrypted at rest by Cloud Storage (always on); access is IAM only, no per-object ACLs.
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            # Logs and traces age out: the add-on's retention deletes them, this rule is the backstop.
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        age=config.observability.retention_days + BUCKET_GRACE_DAYS
                    ),
                ),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=1),
                ),
            ],
            # Outside prod a destroy may take the data with it; prod's bucket is protected instead.
            force_destroy=not config.is_prod,
            labels={**standard_tags(config), "purpose": gcp_name(purpose)},
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=config.is_prod, depends_on=list(apis)),
    )
    return Bucket(kind="gcs", name=created.name, region=config.region)


def dns_zone(
    name: str,
    domain: str,
    parent: pulumi.Resource,
    *,
    config: PlatformConfig,
    provider: gcp.Provider,
    apis: Sequence[pulumi.Resource],
) -> DnsZone:
    """A public Cloud DNS managed zone for the stack's domain, DNSSEC on. Protected in prod."""
    zone = gcp.dns.ManagedZone(
        f"{name}-zone",
        gcp.dns.ManagedZoneArgs(
            name=gcp_name(f"{config.name_prefix}-zone"),
            dns_name=f"{domain}.",
            description=f"{config.name_prefix}: the platform's hosts (records written by external-dns)",
            project=config.gcp_project_id,
            visibility="public",
            dnssec_config=gcp.dns.ManagedZoneDnssecConfigArgs(state="on"),
            force_destroy=not config.is_prod,
            labels=standard_tags(config),
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=config.is_prod, depends_on=list(apis)),
    )
    return DnsZone(
        kind="clouddns", domain=domain, zone_id=zone.name, name_servers=zone.name_servers, project=config.gcp_project_id
    )
