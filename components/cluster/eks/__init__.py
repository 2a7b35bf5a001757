"""The EKS cluster: network, control plane, node groups, core add-ons, and the facilities
add-ons ask for (ClusterInfo).

Workload identity is IRSA rather than EKS Pod Identity: it needs no agent DaemonSet on every
node (one more privileged pod to tolerate the system taint), every SDK the add-ons ship (Vault,
Loki, Tempo, External Secrets) has supported web-identity tokens for years, and it hands back a
service-account annotation, the same shape as GKE's and Azure's workload identities, so add-ons
stay cloud-neutral. Pod Identity's main gain, reusing one role across clusters, does not apply
with one cluster per environment.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...addresses import KARPENTER_NAMESPACE
from ...config import PlatformConfig
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
from .addons import STORAGE_CLASS, build_networking_addons, build_scheduled_addons, build_storage_class
from .control_plane import build_control_plane
from .karpenter import SCRAPE_TARGET as KARPENTER_SCRAPE_TARGET
from .karpenter import build_karpenter
from .network import build_network
from .node_pools import build_node_pools


class EksCluster(pulumi.ComponentResource, ClusterInfo):
    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:cluster:EksCluster", name, None, opts)
        self.config = config
        self.cloud = "aws"
        self.region = config.region
        cluster_name = config.name_prefix
        # Region and tags are set here, never taken from ambient AWS config.
        self.aws_provider = aws.Provider(
            f"{name}-aws",
            region=config.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=standard_tags(config)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.system_placement = Placement(
            node_selector={SYSTEM_POOL_LABEL: SYSTEM_POOL_TAINT["value"]},
            tolerations=[{**SYSTEM_POOL_TAINT, "operator": "Equal"}],
        )

        network = build_network(f"{name}-net", config, cluster_name, self.aws_provider, self)
        control_plane = build_control_plane(f"{name}-cp", config, cluster_name, network, self.aws_provider, self)
        self._oidc = control_plane.oidc
        self._account_id = control_plane.account_id
        version = config.cluster.kubernetes_version
        networking = build_networking_addons(
            f"{name}-addon", version, control_plane.cluster, control_plane.oidc, self.aws_provider, self
        )
        node_groups = build_node_pools(
            f"{name}-nodes", config, control_plane.cluster, network, self.aws_provider, self, after=networking
        )
        scheduled = build_scheduled_addons(
            f"{name}-addon",
            version,
            control_plane.cluster,
            control_plane.oidc,
            self.system_placement,
            self.aws_provider,
            self,
            nodes=list(node_groups.values()),
        )

        self.name = control_plane.cluster.name
        self.kubeconfig = control_plane.kubeconfig
        self.oidc_issuer = control_plane.oidc.issuer_url
        # Nothing may use the provider before the deployer's access policy is in place.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[control_plane.deployer_access]),
        )
        storage_class = build_storage_class(f"{name}-k8s", config.is_prod, self.provider, self)
        self.storage_class = STORAGE_CLASS
        # Add-ons run on the system pool; the workloads pool is the services' and may still be
        # coming up while they install.
        # Also what their pods and load balancers reach the world through: on destroy, every release
        # (and the volumes and load balancers it owns) goes before NAT, routes, public subnets and
        # the CSI driver (in `scheduled`), never at the same time.
        self.ready = [node_groups["system"], *networking, *scheduled, storage_class, *network.egress, *network.ingress]
        karpenter = build_karpenter(
            f"{name}-karpenter",
            config,
            self,
            control_plane.cluster,
            network.private_subnet_ids,
            control_plane.oidc,
            control_plane.account_id,
            self._opts(self),
        )
        self.namespaces = {KARPENTER_NAMESPACE: karpenter.namespace}
        self.scrape_targets = [KARPENTER_SCRAPE_TARGET]
        self.register_outputs({"name": self.name, "oidcIssuer": self.oidc_issuer})

    def _opts(self, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.aws_provider)

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        return facilities.workload_identity(
            name, account, grants, self._oidc, self.region, self._account_id, self._opts(parent)
        )

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey | None:
        return facilities.kms_key(name, purpose, self.config, self._opts(parent))

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket | None:
        return facilities.bucket(name, purpose, self.config, self._opts(parent))

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> DnsZone | None:
        return facilities.dns_zone(name, domain, self.config, self._opts(parent))

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        return facilities.load_balancer_annotations(internal)
