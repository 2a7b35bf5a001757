"""Platform: the whole stack, a cluster and the add-on areas installed on it."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from .addresses import INGRESS_NAMESPACE, SERVICES_NAMESPACE
from .cluster import ClusterInfo, create_cluster
from .config import PlatformConfig, Secrets
from .frontdoor import FrontDoor
from .gitops import GitOps
from .kube import namespace
from .mesh import Mesh
from .mesh.enrolment import enrolment
from .observability import Observability
from .security import Security


class Platform(pulumi.ComponentResource):
    cluster: ClusterInfo
    services_namespace: k8s.core.v1.Namespace
    observability: Observability
    mesh: Mesh
    gitops: GitOps
    front_door: FrontDoor
    security: Security

    def __init__(self, name: str, config: PlatformConfig, secrets: Secrets, opts: pulumi.ResourceOptions | None = None):
        super().__init__("store-platform:index:Platform", name, None, opts)
        self.cluster = create_cluster(f"{name}-cluster", config, pulumi.ResourceOptions(parent=self))
        mesh = enrolment(config.mesh.provider)
        self.services_namespace = namespace(
            f"{name}-services-ns",
            SERVICES_NAMESPACE,
            self.cluster,
            pod_security="restricted",
            reason="",
            labels={**mesh.labels, "store-platform/environment": config.environment},
            annotations=mesh.annotations,
            parent=self,
        )
        self.observability = Observability(
            f"{name}-observability",
            config,
            secrets,
            self.cluster,
            self.services_namespace,
            pulumi.ResourceOptions(parent=self),
        )
        crds = self.observability.monitoring_crds
        # Mesh, GitOps and security do not wait for each other: they install in parallel.
        # The front door installs cert-manager, which issues Linkerd's identity issuer, so on
        # Linkerd it is declared first; on Istio its certificates' Secrets go where the gateway
        # pods run (Istio's ingress gateway namespace), so the mesh is declared first.
        if config.mesh.provider == "linkerd":
            self.front_door = self._front_door(name, config, None, crds)
            self.mesh = self._mesh(name, config, secrets, crds)
        else:
            self.mesh = self._mesh(name, config, secrets, crds)
            self.front_door = self._front_door(name, config, self.mesh.namespaces.get(INGRESS_NAMESPACE), crds)
        self.gitops = GitOps(f"{name}-gitops", config, secrets, self.cluster, crds, pulumi.ResourceOptions(parent=self))
        self.security = Security(
            f"{name}-security",
            config,
            secrets,
            self.cluster,
            namespaces={
                SERVICES_NAMESPACE: self.services_namespace,
                **self.cluster.namespaces,
                **self.observability.namespaces,
                **self.mesh.namespaces,
                **self.gitops.namespaces,
                **self.front_door.namespaces,
            },
            monitoring_crds=crds,
            cert_manager=self.front_door.release,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"clusterName": self.cluster.name})

    def _front_door(
        self, name: str, config: PlatformConfig, gateway: k8s.core.v1.Namespace | None, crds: pulumi.Resource
    ) -> FrontDoor:
        return FrontDoor(f"{name}-front-door", config, self.cluster, gateway, crds, pulumi.ResourceOptions(parent=self))

    def _mesh(self, name: str, config: PlatformConfig, secrets: Secrets, crds: pulumi.Resource) -> Mesh:
        # Only Linkerd's identity needs cert-manager; Istio's istiod is its own CA.
        cert_manager = [self.front_door.release] if config.mesh.provider == "linkerd" else []
        return Mesh(
            f"{name}-mesh", config, secrets, self.cluster, crds, cert_manager, pulumi.ResourceOptions(parent=self)
        )

    def stack_outputs(self) -> dict[str, pulumi.Input[object]]:
        """What `pulumi stack output` shows: enough to reach the cluster, nothing secret in plain text."""
        return {
            "clusterName": self.cluster.name,
            "region": self.cluster.region,
            "cloud": self.cluster.cloud,
            "kubeconfig": pulumi.Output.secret(self.cluster.kubeconfig),  # type: ignore[arg-type]
            "oidcIssuer": self.cluster.oidc_issuer,
        }
