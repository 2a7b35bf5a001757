"""An AKS cluster: VNet and subnets, the control plane (Entra ID + Azure RBAC, KMS, workload
identity), a bootstrap, a system and a workload pool over three zones, and the facilities add-ons ask for.

Modules: azure.py (provider, names, roles), network.py, control_plane.py, node_pools.py,
kubeconfig.py, facilities.py."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_azure_native as azure_native
import pulumi_kubernetes as k8s
from pulumi_azure_native import authorization, containerservice, resources

from ...config import PlatformConfig
from ...tags import standard_tags
from ..info import Bucket, ClusterInfo, DnsZone, Grant, KmsKey, ServiceAccountRef, WorkloadIdentity
from . import facilities
from .azure import AzureScope
from .control_plane import build_control_plane, build_key_vault
from .kubeconfig import endpoint_of, kubeconfig
from .network import build_network
from .node_pools import SYSTEM_PLACEMENT, pool_settings, system_pool_name, workload_pool_name

STORAGE_CLASS = "store-platform-encrypted"
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"


class AksCluster(pulumi.ComponentResource, ClusterInfo):
    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:cluster:AksCluster", name, None, opts)
        self._config = config
        tags = standard_tags(config)
        # Region and subscription come from the stack's config, never from the operator's
        # ambient Azure defaults.
        provider = azure_native.Provider(
            f"{name}-azure",
            location=config.region,
            subscription_id=config.subscription_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        resource_group = resources.ResourceGroup(
            f"{name}-resource-group",
            resource_group_name=f"{config.name_prefix}-rg",
            location=config.region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self._azure = AzureScope(
            provider=provider,
            resource_group=resource_group,
            location=config.region,
            tags=tags,
            client=authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(provider=provider)),
            protect=config.is_prod,
        )
        self._network = build_network(name, config, self._azure, self)
        self._key_vault = build_key_vault(name, config, self._azure, self)
        control = build_control_plane(name, config, self._azure, self._network, self._key_vault, self)
        cluster = control.cluster
        system = config.cluster.node_pools.system
        system_pool = containerservice.AgentPool(  # where istiod, the gateways and Vault run
            f"{name}-system-pool",
            # Versioned like the workloads pool: a VM size, disk or zone change creates the new
            # System-mode pool, then drains and deletes the old one; the bootstrap pool in the
            # cluster resource keeps a system node up throughout (pool_versions.py).
            agent_pool_name=system_pool_name(system),
            resource_name_=cluster.name,
            resource_group_name=resource_group.name,
            **pool_settings("system", system, config, self._network.system_subnet.id, tags),
            opts=self._azure.options(self, ignore_changes=["count"]),
        )
        workloads = config.cluster.node_pools.workloads
        containerservice.AgentPool(  # the services' pool: nothing on the platform waits for it
            f"{name}-workload-pool",
            # Versioned: a VM size, disk or zone change gets a new pool, created before the old one
            # is drained and deleted (pool_versions.py).
            agent_pool_name=workload_pool_name(workloads),
            resource_name_=cluster.name,
            resource_group_name=resource_group.name,
            **pool_settings("workloads", workloads, config, self._network.workload_subnet.id, tags),
            # The autoscaler owns the node count once the pool exists.
            opts=self._azure.options(self, ignore_changes=["count"]),
        )

        self.cloud = "azure"
        self.region = config.region
        self.name = cluster.name
        self.oidc_issuer = cluster.oidc_issuer_profile.apply(lambda p: (p.issuer_url or "") if p else "")
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group.name,
            resource_name=cluster.name,
            opts=pulumi.InvokeOutputOptions(provider=provider),
        )
        endpoint = credentials.kubeconfigs.apply(lambda configs: endpoint_of(configs[0].value))
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, endpoint).apply(lambda args: kubeconfig(args[0], *args[1]))
        )
        # Nothing may use the provider before the deployer's cluster-admin role is in place.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[control.deployer_access]),
        )
        storage_class = self._storage_class(name, config, depends_on=[cluster, control.deployer_access])
        self.storage_class = STORAGE_CLASS
        self.system_placement = SYSTEM_PLACEMENT
        # Add-ons run on the system pools (the bootstrap one in the cluster resource and the
        # versioned one); the workloads pool is the services' and may still be coming up while
        # they install.
        self.ready = [cluster, system_pool, control.deployer_access, storage_class]
        self.register_outputs({"name": self.name, "oidcIssuer": self.oidc_issuer})

    def _storage_class(
        self, name: str, config: PlatformConfig, depends_on: Sequence[pulumi.Resource]
    ) -> k8s.storage.v1.StorageClass:
        """Premium SSD managed disks, encrypted at rest by Azure Storage, that nobody can export
        through a SAS URL, tagged like every other resource of the stack."""
        disk_tags = ",".join(f"{key}={value}" for key, value in standard_tags(config).items())
        return k8s.storage.v1.StorageClass(
            f"{name}-storage-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORAGE_CLASS),
            provisioner="disk.csi.azure.com",
            parameters={"skuName": "Premium_LRS", "networkAccessPolicy": "DenyAll", "tags": disk_tags},
            # A disk is created in the zone of the pod that first uses it.
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            # Prod keeps a released volume's disk (Vault's Raft data) until someone deletes it.
            reclaim_policy="Retain" if config.is_prod else "Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(depends_on)),
        )

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        return facilities.workload_identity(name, account, grants, parent, self._azure, self.oidc_issuer)

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey:
        return facilities.kms_key(name, purpose, parent, self._azure, self._key_vault)

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket:
        return facilities.bucket(name, purpose, parent, self._config, self._azure, self._network)

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> DnsZone | None:
        return facilities.dns_zone(name, domain, parent, self._azure)

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        # Internet-facing is the cloud provider's default; internal puts the frontend in the node subnet.
        return {INTERNAL_LB_ANNOTATION: "true"} if internal else {}
