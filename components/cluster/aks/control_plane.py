"""The AKS control plane: its identity, the Key Vault key that encrypts Secrets in etcd, the
managed cluster with its bootstrap pool, and the deployer's access to the Kubernetes API.

Hardening follows the Azure security baseline for AKS
(https://learn.microsoft.com/security/benchmark/azure/baselines/azure-kubernetes-service-aks-security-baseline)
and the CIS AKS Benchmark; each setting names the control it answers."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, containerservice, keyvault, managedidentity

from ...config import PlatformConfig
from ...config.access import Principal, admins, public_cidrs
from ...config.clouds import AKS_DNS_SERVICE_IP, AKS_POD_CIDR, AKS_SERVICE_CIDR
from .azure import AKS_RBAC_CLUSTER_ADMIN, KEY_VAULT_CRYPTO_USER, NETWORK_CONTRIBUTOR, PRINCIPAL_TYPES, AzureScope
from .network import Network
from .node_pools import BOOTSTRAP_FROZEN, BOOTSTRAP_POOL, bootstrap_settings


@dataclass(frozen=True)
class ControlPlane:
    cluster: containerservice.ManagedCluster
    deployer_access: authorization.RoleAssignment


def build_key_vault(name: str, config: PlatformConfig, azure: AzureScope, parent: pulumi.Resource) -> keyvault.Vault:
    """The stack's key vault: the etcd key here, and the keys add-ons ask for (kms_key).

    A deleted vault keeps its name for the soft-delete retention (7 days outside prod), so outside
    prod the name's hash also covers a random id drawn once per stack life (pulumi-random, kept in
    the state): `up` after `destroy` gets a new name instead of a conflict. Prod's vault is
    protected, purge-protected and never destroyed; its name stays as it is (docs/destroy.md)."""
    salt: pulumi.Input[str] = "key-vault"
    if not config.is_prod:
        life = random.RandomId(f"{name}-key-vault-suffix", byte_length=4, opts=pulumi.ResourceOptions(parent=parent))
        salt = life.hex.apply(lambda h: f"key-vault/{h}")
    return keyvault.Vault(
        f"{name}-key-vault",
        vault_name=azure.global_name(f"{config.project}-kv", salt, 24, separator="-"),
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        properties=keyvault.VaultPropertiesArgs(
            tenant_id=azure.client.tenant_id,
            sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
            # Access by Azure RBAC role assignments, not vault access policies (baseline PA-7).
            enable_rbac_authorization=True,
            enable_soft_delete=True,
            soft_delete_retention_in_days=90 if config.is_prod else 7,
            # Purge protection is irreversible and keeps the name taken for the retention period:
            # prod only, where losing the unseal or etcd key would lose data (baseline DP-6).
            enable_purge_protection=True if config.is_prod else None,
            # AKS's KMS plugin reaches a private key vault only through API Server VNet
            # Integration, and a public one only without a firewall: "Public" mode, no IP rules
            # (https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption, limitations).
            public_network_access="Enabled",
            network_acls=keyvault.NetworkRuleSetArgs(
                default_action=keyvault.NetworkRuleAction.ALLOW, bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES
            ),
        ),
        tags=azure.tags,
        opts=azure.options(parent, protect=azure.protect),
    )


def build_control_plane(
    name: str,
    config: PlatformConfig,
    azure: AzureScope,
    net: Network,
    key_vault: keyvault.Vault,
    parent: pulumi.Resource,
) -> ControlPlane:
    prefix = config.name_prefix
    # A user-assigned identity exists before the cluster, so its grants below are in place when
    # the cluster first starts (KMS does not work with a system-assigned identity).
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_name_=f"{prefix}-aks-control-plane",
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        tags=azure.tags,
        opts=azure.options(parent),
    )
    # Envelope encryption of Secrets in etcd with a customer-managed key (CIS AKS 5.3.1,
    # baseline DP-5). AKS pins the key version; rotating means a new version and a cluster update.
    etcd_key = keyvault.Key(
        f"{name}-etcd-key",
        key_name="aks-etcd",
        vault_name=key_vault.name,
        resource_group_name=azure.resource_group.name,
        properties=keyvault.KeyPropertiesArgs(
            kty=keyvault.JsonWebKeyType.RSA,
            key_size=2048,
            key_ops=[keyvault.JsonWebKeyOperation.ENCRYPT, keyvault.JsonWebKeyOperation.DECRYPT],
        ),
        tags=azure.tags,
        opts=azure.options(parent, protect=azure.protect),
    )
    kms_access = azure.grant(f"{name}-kms-access", KEY_VAULT_CRYPTO_USER, identity.principal_id, etcd_key.id, parent)
    # Load balancers and node NICs in our own VNet need the control plane to manage its subnets.
    network_access = azure.grant(
        f"{name}-network-access", NETWORK_CONTRIBUTOR, identity.principal_id, net.vnet.id, parent
    )

    # The deployer named in the config administers the cluster through Azure RBAC: with local
    # accounts disabled, that is how the Kubernetes provider gets in to install the add-ons. Never
    # the identity that happens to run Pulumi, so a preview by another principal changes nothing.
    # Scoped to the stack's resource group (only this cluster is in it) so it is granted before
    # the cluster exists and has propagated by the time the first Kubernetes object is applied.
    deployer, others = admins(config)
    # Validated config always names a deployer on azure (components/config/access.py).
    assert deployer is not None, "cluster.deployer is required on azure"
    deployer_access = _cluster_admin(f"{name}-deployer-access", deployer, azure, parent)
    for admin in others:
        _cluster_admin(f"{name}-admin-{admin.key}", admin, azure, parent)

    system = config.cluster.node_pools.system
    cluster = containerservice.ManagedCluster(
        f"{name}-cluster",
        resource_name_=f"{prefix}-aks",
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        dns_prefix=prefix,
        node_resource_group=f"{prefix}-aks-nodes",
        kubernetes_version=config.cluster.kubernetes_version,
        # Standard tier in prod: the financially backed API server SLA (AKS pricing tiers docs).
        sku=containerservice.ManagedClusterSKUArgs(
            name=containerservice.ManagedClusterSKUName.BASE,
            tier=containerservice.ManagedClusterSKUTier.STANDARD
            if config.is_prod
            else containerservice.ManagedClusterSKUTier.FREE,
        ),
        identity=containerservice.ManagedClusterIdentityArgs(
            type=containerservice.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity.id]
        ),
        # Entra ID sign-in with Azure RBAC for Kubernetes authorization, and no local accounts:
        # every API call is a named Entra identity (CIS AKS 5.5.1 / 5.5.2, baseline IM-1).
        aad_profile=containerservice.ManagedClusterAADProfileArgs(
            managed=True, enable_azure_rbac=True, tenant_id=azure.client.tenant_id
        ),
        disable_local_accounts=True,
        enable_rbac=True,
        # Pods get Entra tokens by federation instead of stored secrets (baseline IM-3).
        oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
        security_profile=containerservice.ManagedClusterSecurityProfileArgs(
            workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
            azure_key_vault_kms=containerservice.AzureKeyVaultKmsArgs(
                enabled=True,
                key_id=etcd_key.key_uri_with_version,
                key_vault_network_access=containerservice.KeyVaultNetworkAccessTypes.PUBLIC,
            ),
            # Removes unused images from nodes weekly, vulnerable ones included (baseline PV-6).
            image_cleaner=containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                enabled=True, interval_hours=168
            ),
        ),
        api_server_access_profile=_api_server_access(config, net),
        # Azure CNI overlay: pods get overlay addresses, nodes VNet ones; Cilium enforces
        # NetworkPolicy in the eBPF dataplane (CIS AKS 5.4.4: network policy enabled).
        network_profile=containerservice.ContainerServiceNetworkProfileArgs(
            network_plugin=containerservice.NetworkPlugin.AZURE,
            network_plugin_mode=containerservice.NetworkPluginMode.OVERLAY,
            network_dataplane=containerservice.NetworkDataplane.CILIUM,
            network_policy=containerservice.NetworkPolicy.CILIUM,
            pod_cidr=AKS_POD_CIDR,
            service_cidr=AKS_SERVICE_CIDR,
            dns_service_ip=AKS_DNS_SERVICE_IP,
            outbound_type=containerservice.OutboundType.LOAD_BALANCER,
            load_balancer_sku=containerservice.LoadBalancerSku.STANDARD,
        ),
        # Patch releases of the configured minor and weekly node images, applied by AKS
        # (baseline PV-6: keep the platform patched). "patch" never moves the minor under config.
        auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
            upgrade_channel=containerservice.UpgradeChannel.PATCH,
            node_os_upgrade_channel=containerservice.NodeOSUpgradeChannel.NODE_IMAGE,
        ),
        # AKS needs a system pool at creation; the versioned system pool (its own AgentPool) is
        # the one config changes move. Only the bootstrap pool is listed here, ever: AKS refuses
        # a managed-cluster update that adds or removes a pool, and leaves unlisted pools alone.
        agent_pool_profiles=[
            containerservice.ManagedClusterAgentPoolProfileArgs(
                name=BOOTSTRAP_POOL, **bootstrap_settings(system, config, net.system_subnet.id, azure.tags)
            )
        ],
        tags=azure.tags,
        opts=azure.options(
            parent,
            protect=azure.protect,
            depends_on=[kms_access, network_access],
            # The bootstrap pool keeps what it was created with (AKS cannot change its VM size,
            # disk or zones); only its Kubernetes version follows the cluster.
            ignore_changes=[f"agentPoolProfiles[0].{prop}" for prop in BOOTSTRAP_FROZEN],
        ),
    )
    _maintenance_windows(name, azure, cluster, parent)
    return ControlPlane(cluster=cluster, deployer_access=deployer_access)


def _cluster_admin(
    name: str, principal: Principal, azure: AzureScope, parent: pulumi.Resource
) -> authorization.RoleAssignment:
    """Azure Kubernetes Service RBAC Cluster Admin for a principal the config names, with its
    type stated (Azure rejects an assignment whose type does not match the principal)."""
    return authorization.RoleAssignment(
        name,
        principal_id=principal.id,
        principal_type=PRINCIPAL_TYPES[principal.kind],
        role_definition_id=azure.role(AKS_RBAC_CLUSTER_ADMIN),
        scope=azure.resource_group.id,
        opts=azure.options(parent),
    )


def _api_server_access(
    config: PlatformConfig, net: Network
) -> containerservice.ManagedClusterAPIServerAccessProfileArgs:
    """The deploy path. public: the public API server, limited to the authorized ranges (CIS AKS
    5.4.1). deployer-networks (prod): API Server VNet Integration puts the API server behind an
    internal load balancer in the VNet, which nodes and in-network clients use, and keeps a
    public endpoint open only to the deployers' egress ranges
    (https://learn.microsoft.com/azure/aks/api-server-vnet-integration; authorized IP ranges:
    https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges). A fully private
    cluster would leave `pulumi up` from CI or a laptop no way in (baseline NS-2 accepts
    authorized ranges as the control)."""
    if config.cluster.deploy_path == "deployer-networks":
        assert net.api_server_subnet is not None, "the network declares the API server subnet for this path"
        return containerservice.ManagedClusterAPIServerAccessProfileArgs(
            enable_vnet_integration=True,
            subnet_id=net.api_server_subnet.id,
            enable_private_cluster=False,
            authorized_ip_ranges=list(config.cluster.deployer_networks),
        )
    return containerservice.ManagedClusterAPIServerAccessProfileArgs(
        authorized_ip_ranges=public_cidrs(config.cluster.authorized_networks)
    )


# When AKS may apply the auto-upgrades above: early on weekend mornings (UTC), four hours each,
# the shortest window AKS accepts (https://learn.microsoft.com/azure/aks/planned-maintenance).
MAINTENANCE_WINDOWS = (
    ("upgrade-window", "aksManagedAutoUpgradeSchedule", "Sunday"),
    ("node-os-window", "aksManagedNodeOSUpgradeSchedule", "Saturday"),
)


def _maintenance_windows(
    name: str, azure: AzureScope, cluster: containerservice.ManagedCluster, parent: pulumi.Resource
) -> None:
    for role, config_name, day in MAINTENANCE_WINDOWS:
        containerservice.MaintenanceConfiguration(
            f"{name}-{role}",
            config_name=config_name,
            resource_group_name=azure.resource_group.name,
            resource_name_=cluster.name,
            maintenance_window=containerservice.MaintenanceWindowArgs(
                schedule=containerservice.ScheduleArgs(
                    weekly=containerservice.WeeklyScheduleArgs(day_of_week=day, interval_weeks=1)
                ),
                start_time="02:00",
                duration_hours=4,
                utc_offset="+00:00",
            ),
            opts=azure.options(parent),
        )
