"""Mesh: the service mesh `mesh.provider` names, Istio or Linkerd, behind one face.

The rest of the program sees the same things whichever mesh runs: how a namespace enrols
(`enrolment`), which series measure requests (`request_metrics`), where traces go (`traces`),
and what a mesh custom resource must wait for (`crds`)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import Endpoint
from ..cluster import ClusterInfo
from ..config import PlatformConfig, Secrets
from .enrolment import Enrolment, enrolment
from .istio import SYSTEM_NAMESPACE, Istio, install_istio
from .linkerd import CONTROL_PLANE_NAMESPACE, Linkerd, install_linkerd
from .metrics import RequestMetrics, request_metrics
from .monitors import istio_monitors, linkerd_monitors
from .tracing import TRACES


class Mesh(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    crds: list[pulumi.Resource]  # releases installing the mesh's CRDs: depend on these to create mesh CRs
    enrolment: Enrolment
    request_metrics: RequestMetrics
    traces: Endpoint

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        secrets: Secrets,
        cluster: ClusterInfo,
        monitoring_crds: pulumi.Resource,
        cert_manager: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`secrets` is unused today (every mesh credential is generated here); the argument keeps
        the areas' common signature. The scrape monitors wait for `monitoring_crds`; Linkerd's
        identity issuer for `cert_manager`, the release installing cert-manager (Linkerd needs it)."""
        super().__init__("store-platform:mesh:Mesh", name, None, opts)
        provider = config.mesh.provider
        installed: Istio | Linkerd
        if provider == "istio":
            installed = install_istio(name, config, cluster, parent=self)
            monitors, monitors_namespace = istio_monitors(SYSTEM_NAMESPACE), SYSTEM_NAMESPACE
        else:
            if not cert_manager:
                raise ValueError("Linkerd's identity issuer is issued by cert-manager: pass its release")
            installed = install_linkerd(name, config, cluster, cert_manager, parent=self)
            monitors, monitors_namespace = linkerd_monitors(CONTROL_PLANE_NAMESPACE), CONTROL_PLANE_NAMESPACE
        self.namespaces = installed.namespaces
        self.crds = installed.crds
        self.enrolment = enrolment(provider)
        self.request_metrics = request_metrics(provider)
        self.traces = TRACES
        for monitor in monitors:
            k8s.apiextensions.CustomResource(
                f"{name}-{monitor.role}",
                api_version="monitoring.coreos.com/v1",
                kind=monitor.kind,
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=monitor.name, namespace=self.namespaces[monitors_namespace].metadata.name
                ),
                spec=monitor.spec,
                opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[monitoring_crds]),
            )
        self.register_outputs({"namespaces": list(self.namespaces), "provider": provider})
