"""An existing cluster (kind, k3d, a lab cluster): a Kubernetes provider for one kubeconfig
context and nothing else created. Facilities answer with local equivalents: no KMS (Vault
falls back to Shamir unseal), no bucket (filesystem storage), no cloud identity."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..config import PlatformConfig
from .info import Bucket, ClusterInfo, DnsZone, Grant, KmsKey, Placement, ServiceAccountRef, WorkloadIdentity


class ExistingCluster(pulumi.ComponentResource, ClusterInfo):
    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:cluster:ExistingCluster", name, None, opts)
        context = config.cluster.kube_context
        assert context, "validated by config rules"
        self.cloud = "existing"
        self.region = config.region
        self.name = pulumi.Output.from_input(context)
        # The context is named explicitly so the program never acts on whatever cluster the
        # operator's kubeconfig happens to point at.
        self.provider = k8s.Provider(
            f"{name}-k8s", k8s.ProviderArgs(context=context), opts=pulumi.ResourceOptions(parent=self)
        )
        self.kubeconfig = pulumi.Output.secret(f"kubeconfig context {context} (not managed here)")
        self.oidc_issuer = pulumi.Output.from_input("")
        self.storage_class = "standard"  # kind's and k3d's default provisioner
        self.system_placement = Placement(node_selector={}, tolerations=[])
        self.ready = []
        self.register_outputs({"name": self.name})

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        return WorkloadIdentity(service_account_annotations=pulumi.Output.from_input({}))

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey | None:
        return None

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket | None:
        return None

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> DnsZone | None:
        return None

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        return {}
