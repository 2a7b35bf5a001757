"""What add-ons ask of the cluster, on Azure: a workload identity with role assignments, a Key
Vault key with Vault's azurekeyvault seal parameters, and a storage container.

Every resource is declared under the add-on that asked (`parent`) on the cluster's provider."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import dns, keyvault, managedidentity, storage

from ...config import PlatformConfig
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
from .azure import DNS_ZONE_CONTRIBUTOR, KEY_VAULT_CRYPTO_USER, STORAGE_BLOB_DATA_CONTRIBUTOR, AzureScope, slug
from .network import Network

# The audience Entra ID expects in a federated service-account token
# (https://learn.microsoft.com/azure/aks/workload-identity-overview).
TOKEN_AUDIENCE = "api://AzureADTokenExchange"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# The workload identity webhook only mutates pods carrying this label.
USE_LABEL = {"azure.workload.identity/use": "true"}
# Blobs older than the retention plus this margin go even if Loki's or Tempo's compactor
# missed them; their own retention normally deletes them first.
LIFECYCLE_MARGIN_DAYS = 7


def workload_identity(
    name: str,
    account: ServiceAccountRef,
    grants: Sequence[Grant],
    parent: pulumi.Resource,
    azure: AzureScope,
    oidc_issuer: pulumi.Output[str],
) -> WorkloadIdentity:
    scopes = [_scope(grant, azure) for grant in grants]  # fails on SecretsRead before creating anything
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        tags=azure.tags,
        opts=azure.options(parent),
    )
    # Entra ID trusts tokens the cluster's issuer signs for exactly this service account.
    managedidentity.FederatedIdentityCredential(
        f"{name}-federation",
        resource_name_=identity.name,
        resource_group_name=azure.resource_group.name,
        federated_identity_credential_resource_name=slug(f"{account.namespace}-{account.name}", 120),
        issuer=oidc_issuer,
        subject=f"system:serviceaccount:{account.namespace}:{account.name}",
        audiences=[TOKEN_AUDIENCE],
        opts=azure.options(parent),
    )
    for index, (role, scope) in enumerate(scopes):
        azure.grant(f"{name}-grant-{index}", role, identity.principal_id, scope, parent)
    return WorkloadIdentity(
        service_account_annotations=identity.client_id.apply(lambda client_id: {CLIENT_ID_ANNOTATION: client_id}),
        pod_labels=dict(USE_LABEL),
        client_id=identity.client_id,
    )


def _scope(grant: Grant, azure: AzureScope) -> tuple[str, pulumi.Input[str]]:
    """(role, scope) of a grant, each scoped to the one key or container it names (least privilege)."""
    if isinstance(grant, KmsKeyUse):
        if grant.key.seal_type != "azurekeyvault":
            raise ValueError(f"an AKS identity cannot use a {grant.key.seal_type} key; ask this cluster's kms_key")
        return KEY_VAULT_CRYPTO_USER, grant.key.key_id
    if isinstance(grant, BucketReadWrite):
        bucket = grant.bucket
        if bucket.kind != "azure" or bucket.account is None:
            raise ValueError(f"an AKS identity cannot use a {bucket.kind} bucket; ask this cluster's bucket")
        container_id = pulumi.Output.concat(
            azure.resource_group.id,
            "/providers/Microsoft.Storage/storageAccounts/",
            bucket.account,
            "/blobServices/default/containers/",
            bucket.name,
        )
        return STORAGE_BLOB_DATA_CONTRIBUTOR, container_id
    if isinstance(grant, DnsRecordsWrite):
        if grant.zone.kind != "azuredns" or grant.zone.resource_group is None:
            raise ValueError(f"an AKS identity cannot write a {grant.zone.kind} zone; ask this cluster's dns_zone")
        zone_id = pulumi.Output.concat(
            azure.resource_group.id, "/providers/Microsoft.Network/dnsZones/", grant.zone.zone_id
        )
        return DNS_ZONE_CONTRIBUTOR, zone_id
    if isinstance(grant, SecretsRead):
        raise ValueError(
            f"SecretsRead ({grant.prefix}) reads AWS Secrets Manager, which AKS does not have; "
            "use the vault secrets backend on azure"
        )
    raise TypeError(f"unknown grant {grant!r}")


def kms_key(name: str, purpose: str, parent: pulumi.Resource, azure: AzureScope, key_vault: keyvault.Vault) -> KmsKey:
    """An RSA key in the stack's key vault, for wrapping (Vault's azurekeyvault seal)."""
    key = keyvault.Key(
        f"{name}-key",
        key_name=slug(name, 127),
        vault_name=key_vault.name,
        resource_group_name=azure.resource_group.name,
        properties=keyvault.KeyPropertiesArgs(
            kty=keyvault.JsonWebKeyType.RSA,
            key_size=3072,
            key_ops=[keyvault.JsonWebKeyOperation.WRAP_KEY, keyvault.JsonWebKeyOperation.UNWRAP_KEY],
        ),
        tags={**azure.tags, "purpose": purpose},
        opts=azure.options(parent, protect=azure.protect),
    )
    seal_config = pulumi.Output.all(tenant_id=azure.client.tenant_id, vault_name=key_vault.name, key_name=key.name)
    return KmsKey(seal_type="azurekeyvault", seal_config=seal_config, key_id=key.id)


def bucket(
    name: str, purpose: str, parent: pulumi.Resource, config: PlatformConfig, azure: AzureScope, net: Network
) -> Bucket:
    """A storage account of its own and one private container, reachable only from the node
    subnets and only with Entra ID tokens (Azure Storage security baseline; CIS Azure 3.x)."""
    account = storage.StorageAccount(
        f"{name}-account",
        account_name=azure.global_name(f"{config.project}{purpose}", name, 24),
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        kind=storage.Kind.STORAGE_V2,
        # Zone-redundant in prod: logs and traces survive the loss of a zone.
        sku=storage.SkuArgs(name=storage.SkuName.STANDARD_ZRS if config.is_prod else storage.SkuName.STANDARD_LRS),
        # Entra ID only: no account keys or SAS signed with them.
        allow_shared_key_access=False,
        default_to_o_auth_authentication=True,
        allow_blob_public_access=False,
        allow_cross_tenant_replication=False,
        enable_https_traffic_only=True,
        minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
        # Encrypted at rest twice: the service layer and the infrastructure layer.
        encryption=storage.EncryptionArgs(
            key_source=storage.KeySource.MICROSOFT_STORAGE, require_infrastructure_encryption=True
        ),
        network_rule_set=storage.NetworkRuleSetArgs(
            default_action=storage.DefaultAction.DENY,
            bypass=storage.Bypass.AZURE_SERVICES,
            virtual_network_rules=[
                storage.VirtualNetworkRuleArgs(virtual_network_resource_id=subnet.id) for subnet in net.node_subnets
            ],
        ),
        tags={**azure.tags, "purpose": purpose},
        opts=azure.options(parent, protect=azure.protect),
    )
    container = storage.BlobContainer(
        f"{name}-container",
        container_name=slug(purpose, 63),
        account_name=account.name,
        resource_group_name=azure.resource_group.name,
        public_access=storage.PublicAccess.NONE,
        opts=azure.options(parent, protect=azure.protect),
    )
    # A week to undo an accidental delete of a blob or the container.
    storage.BlobServiceProperties(
        f"{name}-blob-service",
        account_name=account.name,
        resource_group_name=azure.resource_group.name,
        blob_services_name="default",
        delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=7),
        container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=7),
        opts=azure.options(parent),
    )
    storage.ManagementPolicy(
        f"{name}-lifecycle",
        account_name=account.name,
        resource_group_name=azure.resource_group.name,
        management_policy_name="default",
        policy=storage.ManagementPolicySchemaArgs(
            rules=[
                storage.ManagementPolicyRuleArgs(
                    name="expire-after-retention",
                    type=storage.RuleType.LIFECYCLE,
                    enabled=True,
                    definition=storage.ManagementPolicyDefinitionArgs(
                        filters=storage.ManagementPolicyFilterArgs(blob_types=["blockBlob"]),
                        actions=storage.ManagementPolicyActionArgs(
                            base_blob=storage.ManagementPolicyBaseBlobArgs(
                                delete=storage.DateAfterModificationArgs(
                                    days_after_modification_greater_than=config.observability.retention_days
                                    + LIFECYCLE_MARGIN_DAYS
                                )
                            )
                        ),
                    ),
                )
            ]
        ),
        opts=azure.options(parent),
    )
    return Bucket(kind="azure", name=container.name, region=azure.location, account=account.name)


def dns_zone(name: str, domain: str, parent: pulumi.Resource, azure: AzureScope) -> DnsZone:
    """A public Azure DNS zone for the stack's domain in the stack's resource group. Protected in prod."""
    zone = dns.Zone(
        f"{name}-zone",
        zone_name=domain,
        resource_group_name=azure.resource_group.name,
        location="global",  # DNS zones are global resources
        zone_type=dns.ZoneType.PUBLIC,
        tags=azure.tags,
        opts=azure.options(parent, protect=azure.protect),
    )
    return DnsZone(
        kind="azuredns",
        domain=domain,
        zone_id=zone.name,
        name_servers=zone.name_servers.apply(lambda servers: list(servers or [])),
        resource_group=azure.resource_group.name,
        subscription_id=azure.client.subscription_id,
        tenant_id=azure.client.tenant_id,
    )
