"""Platform: the whole stack, a cluster and the add-on areas installed on it."""

from __future__ import annotations

import pulumi

from .cluster import ClusterInfo, create_cluster
from .config import PlatformConfig, Secrets


class Platform(pulumi.ComponentResource):
    cluster: ClusterInfo

    def __init__(self, name: str, config: PlatformConfig, secrets: Secrets, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:index:Platform", name, None, opts)
        self.config = config
        self.cluster = create_cluster(f"{name}-cluster", config, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"clusterName": self.cluster.name})

    def stack_outputs(self) -> dict[str, pulumi.Input[object]]:
        """What `pulumi stack output` shows: enough to reach the cluster, nothing secret in plain text."""
        return {
            "clusterName": self.cluster.name,
            "region": self.cluster.region,
            "cloud": self.cluster.cloud,
            "kubeconfig": pulumi.Output.secret(self.cluster.kubeconfig),
            "oidcIssuer": self.cluster.oidc_issuer,
        }
