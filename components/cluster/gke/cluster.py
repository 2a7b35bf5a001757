"""GkeCluster: the network, control plane, node pools, identity and KMS keys of a GKE cluster,
and the ClusterInfo facilities add-ons use on it."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from ...config import PlatformConfig
from ...config.access import admins
from ...config.clouds import cluster_zones
from ...tags import standard_tags
from ..info import (
    SYSTEM_POOL_LABEL,
    SYSTEM_POOL_TAINT,
    Bucket,
    ClusterInfo,
    DnsZone,
    Grant,
    KmsKey,
    Placement,
    ServiceAccountRef,
    WorkloadIdentity,
)
from . import facilities
from .control_plane import build_cluster
from .keys import crypto_key, grant_key_use, key_ring
from .kubeconfig import kubeconfig
from .network import build_network, webhook_firewall
from .node_pools import build_node_pool, default_pool_node_config, node_service_account

# APIs the cluster and its facilities call (Cloud Resource Manager: project IAM bindings). Every
# resource that calls one waits for all of them: in a fresh project they are enabled in the same
# run, and a call before that fails with SERVICE_DISABLED. Left enabled on destroy: other stacks
# or people may use the project too.
APIS = ("compute", "container", "cloudkms", "iam", "iamcredentials", "storage", "cloudresourcemanager", "dns")
# Google's service agents that encrypt with the stack's keys: GKE (etcd), Compute Engine (disks).
SERVICE_AGENTS = ("container", "compute")
STORAGE_CLASS = "store-encrypted"


# Full access to the clusters and their Kubernetes API objects, `container.clusters.connect` (the
# DNS endpoint) included: https://cloud.google.com/kubernetes-engine/docs/how-to/iam
CLUSTER_ADMIN_ROLE = "roles/container.admin"


def _dns_endpoint(endpoints: gcp.container.outputs.ClusterControlPlaneEndpointsConfig | None) -> str:
    dns = endpoints.dns_endpoint_config if endpoints else None
    if dns is None or not dns.endpoint:
        raise ValueError("GKE returned no DNS endpoint for a cluster whose deploy path is dns")
    return dns.endpoint


def cluster_admins(
    name: str,
    config: PlatformConfig,
    parent: pulumi.Resource,
    provider: gcp.Provider,
    apis: Sequence[pulumi.Resource],
) -> gcp.projects.IAMMember:
    """Kubernetes admin for the principals the config names, as project IAM members (GKE has no
    cluster-scoped IAM binding; a project per environment keeps this to one cluster). The
    deployer's binding is kept on destroy: it usually exists before the stack (the deployer
    needed it to create the cluster), and deleting a shared binding would remove it."""
    deployer, others = admins(config)
    # Validated config always names a deployer on gcp (components/config/access.py).
    assert deployer is not None, "cluster.deployer is required on gcp"
    deployer_access = gcp.projects.IAMMember(
        f"{name}-deployer-access",
        gcp.projects.IAMMemberArgs(project=config.gcp_project_id, role=CLUSTER_ADMIN_ROLE, member=deployer.id),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, retain_on_delete=True, depends_on=apis),
    )
    for admin in others:
        gcp.projects.IAMMember(
            f"{name}-admin-{admin.key}",
            gcp.projects.IAMMemberArgs(project=config.gcp_project_id, role=CLUSTER_ADMIN_ROLE, member=admin.id),
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis),
        )
    return deployer_access


class GkeCluster(pulumi.ComponentResource, ClusterInfo):
    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:cluster:GkeCluster", name, None, opts)
        self._config = config
        self.cloud = "gcp"
        self.region = config.region
        self.gcp_provider = gcp.Provider(
            f"{name}-gcp",
            gcp.ProviderArgs(project=config.gcp_project_id, region=config.region, default_labels=standard_tags(config)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        provider = self.gcp_provider
        apis: list[pulumi.Resource] = [
            gcp.projects.Service(
                f"{name}-api-{api}",
                gcp.projects.ServiceArgs(
                    project=config.gcp_project_id, service=f"{api}.googleapis.com", disable_on_destroy=False
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
            for api in APIS
        ]
        self._apis = apis

        # A service agent exists only once its API is enabled, and then not always at once: the
        # provider's service-identity resource creates (or finds) it and names it, so the key
        # grants below go to an account that exists. (pulumi-gcp is built from Google's beta
        # provider: the resource needs no separate provider.)
        agents = {
            service: gcp.projects.ServiceIdentity(
                f"{name}-{service}-agent",
                gcp.projects.ServiceIdentityArgs(project=config.gcp_project_id, service=f"{service}.googleapis.com"),
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=apis),
            )
            for service in SERVICE_AGENTS
        }
        self.key_ring = key_ring(name, config, self, provider, apis)
        etcd_key = crypto_key(f"{name}-etcd-key", "gke-etcd-secrets", config, self.key_ring, self, provider)
        etcd_key_grant = grant_key_use(
            f"{name}-etcd-key-gke-agent", etcd_key.id, agents["container"].member, self, provider, depends_on=apis
        )
        # CMEK for node boot disks and persistent volumes. CIS GKE 5.9.1, 5.9.2.
        disk_key = crypto_key(f"{name}-disk-key", "gke-disks", config, self.key_ring, self, provider)
        disk_key_grant = grant_key_use(
            f"{name}-disk-key-compute-agent", disk_key.id, agents["compute"].member, self, provider, depends_on=apis
        )

        network = build_network(name, config, self, provider, apis)
        # Pinned in config or taken from the zone table once, never read live (clouds.py).
        zones = cluster_zones("gcp", config.region, config.cluster.zones)
        node_account, node_roles = node_service_account(name, config, self, provider, apis)
        self.gke = build_cluster(
            name,
            config,
            network,
            zones,
            etcd_key,
            etcd_key_grant,
            self,
            provider,
            apis,
            default_pool=default_pool_node_config(node_account, disk_key.id),
            default_pool_needs=[*node_roles, disk_key_grant, network.nat],
        )
        webhooks = webhook_firewall(name, config, network, self.gke, node_account, self, provider, apis)
        pools = config.cluster.node_pools
        node_pools = [
            build_node_pool(
                name,
                role,
                pool,
                config,
                self.gke,
                node_account,
                disk_key.id,
                # Private nodes pull images through Cloud NAT: a pool created before it never gets Ready.
                [*node_roles, disk_key_grant, network.nat],
                self,
                provider,
            )
            for role, pool in (("system", pools.system), ("workloads", pools.workloads))
        ]

        self.name = self.gke.name
        # GKE's service-account token issuer (the cluster's OIDC discovery URL).
        self.oidc_issuer = pulumi.Output.concat(
            f"https://container.googleapis.com/v1/projects/{config.gcp_project_id}/locations/{config.region}/clusters/",
            self.gke.name,
        )
        if config.cluster.deploy_path == "dns":
            endpoint = self.gke.control_plane_endpoints_config.apply(_dns_endpoint)
            ca: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        else:
            endpoint = self.gke.endpoint
            ca = self.gke.master_auth.cluster_ca_certificate
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.gke.name, endpoint, ca).apply(lambda parts: kubeconfig(*parts))
        )
        deployer_access = cluster_admins(name, config, self, provider, apis)
        # Nothing may use the provider before the deployer may use the Kubernetes API.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            k8s.ProviderArgs(kubeconfig=self.kubeconfig),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployer_access]),
        )
        # GKE's default classes use Google-managed keys; add-on volumes use ours.
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-storage-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORAGE_CLASS),
            provisioner="pd.csi.storage.gke.io",
            parameters={"type": "pd-balanced", "disk-encryption-kms-key": disk_key.id},
            volume_binding_mode="WaitForFirstConsumer",  # the disk is made in the pod's zone
            allow_volume_expansion=True,
            # Prod keeps a released volume's disk (and its data) until someone deletes it.
            reclaim_policy="Retain" if config.is_prod else "Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[disk_key_grant]),
        )
        self.storage_class = STORAGE_CLASS
        self.system_placement = Placement(
            node_selector={SYSTEM_POOL_LABEL: "system"}, tolerations=[{**SYSTEM_POOL_TAINT, "operator": "Equal"}]
        )
        # Add-ons run on the system pool (node_pools[0]); the workloads pool is the services'.
        # Their webhooks answer the API server only once the firewall lets it reach them.
        self.ready = [node_pools[0], storage_class, webhooks]
        self.register_outputs({"name": self.name, "oidcIssuer": self.oidc_issuer})

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        return facilities.workload_identity(
            name,
            account,
            grants,
            parent,
            config=self._config,
            cluster=self.gke,
            provider=self.gcp_provider,
            apis=self._apis,
        )

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey | None:
        return facilities.kms_key(
            name, purpose, parent, config=self._config, ring=self.key_ring, provider=self.gcp_provider
        )

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket | None:
        return facilities.bucket(
            name, purpose, parent, config=self._config, provider=self.gcp_provider, apis=self._apis
        )

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> DnsZone | None:
        return facilities.dns_zone(
            name, domain, parent, config=self._config, provider=self.gcp_provider, apis=self._apis
        )

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        if internal:
            return {"networking.gke.io/load-balancer-type": "Internal"}
        # Backend-service-based external passthrough load balancer, GKE's recommended kind.
        return {"cloud.google.com/l4-rbs": "enabled"}
