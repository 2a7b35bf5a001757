"""Istio in sidecar mode: CRDs (`base`), the control plane (`istiod`), the CNI node agent (`cni`)
and an ingress gateway (`gateway`), plus the mesh-wide policy (STRICT mTLS) and telemetry
(OpenTelemetry tracing, JSON access logs).

Why the CNI node agent: without it every injected pod carries the `istio-init` container, which
needs NET_ADMIN and NET_RAW and so is refused in a `restricted` namespace (Pod Security
Standards). With it, the agent programs pod networking from the node, and the injected pods
(`istio-validation` + `istio-proxy`) run as non-root with no capabilities, so the services'
namespace stays `restricted`. The agent's own namespace is the one privileged place.
See https://istio.io/latest/docs/setup/additional-setup/cni/ and .../pod-security-admission/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import ISTIO_CNI_NAMESPACE
from ..catalogue import chart_for
from ..cluster import ClusterInfo, Placement
from ..config import PlatformConfig
from ..kube import helm_release, namespace
from .tracing import TRACES

SYSTEM_NAMESPACE = "istio-system"  # istiod, and the root namespace for mesh-wide policy
INGRESS_NAMESPACE = "istio-ingress"
CNI_NAMESPACE = ISTIO_CNI_NAMESPACE
IMAGE_HUB = "docker.io/istio"  # where Istio publishes its release images
# The gateway chart labels its pods `istio: <release name less "istio-">`; the release is named
# after its catalogue entry, `istio-gateway`. An Istio Gateway resource selects it with this.
INGRESS_GATEWAY_SELECTOR = {"istio": "gateway"}

TRACING_PROVIDER = "otel-tracing"
ACCESS_LOG_PROVIDER = "json-stdout"
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}

# One JSON object per request on the proxy's stdout, with the trace id for correlation.
# Values are Envoy access-log command operators.
ACCESS_LOG_FIELDS = {
    "start_time": "%START_TIME%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "duration_ms": "%DURATION%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "authority": "%REQ(:AUTHORITY)%",
    "upstream_host": "%UPSTREAM_HOST%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "traceparent": "%REQ(TRACEPARENT)%",
    "user_agent": "%REQ(USER-AGENT)%",
}


def _zone_spread(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
    ]


def _images(config: PlatformConfig, addon: str) -> dict[str, str]:
    # The chart's own version is the image tag: upgrading Istio stays a one-line catalogue change.
    return {"hub": IMAGE_HUB, "tag": chart_for(addon, config).version}


def mesh_config() -> dict[str, Any]:
    """istiod's `meshConfig`: the extension providers the Telemetry resource selects by name."""
    return {
        "enableTracing": True,
        "extensionProviders": [
            {"name": TRACING_PROVIDER, "opentelemetry": {"service": TRACES.host, "port": TRACES.port}},
            {
                "name": ACCESS_LOG_PROVIDER,
                "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": ACCESS_LOG_FIELDS}},
            },
        ],
    }


def istiod_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    ha = config.is_prod
    return {
        "global": {
            **_images(config, "istiod"),
            "logAsJson": True,
            # Injected sidecars get a seccomp profile, as Pod Security `restricted` requires.
            "proxy": {"seccompProfile": RUNTIME_DEFAULT},
            # A PDB on a single replica would block every node drain.
            "defaultPodDisruptionBudget": {"enabled": ha},
        },
        # Injection leaves out istio-init: the CNI node agent redirects traffic instead.
        "cni": {"enabled": True},
        "seccompProfile": RUNTIME_DEFAULT,
        "autoscaleEnabled": ha,
        "autoscaleMin": 2,
        "autoscaleMax": 5,
        "replicaCount": 2 if ha else 1,
        "topologySpreadConstraints": _zone_spread({"app": "istiod"}) if ha else [],
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
        "meshConfig": mesh_config(),
    }


def cni_values(config: PlatformConfig) -> dict[str, Any]:
    values: dict[str, Any] = {
        "global": {**_images(config, "istio-cni"), "logAsJson": True},
        "seccompProfile": RUNTIME_DEFAULT,
        # A node agent runs on every node the services may land on, so it tolerates every taint
        # (the system pool's too) instead of taking the add-ons' system placement.
        "tolerations": [{"operator": "Exists"}],
    }
    if config.cloud == "gcp":
        # GKE keeps CNI binaries in /home/kubernetes/bin and admits system-node-critical pods
        # outside kube-system only under a ResourceQuota: the chart's `gke` platform profile.
        values["global"]["platform"] = "gke"
    return values


def gateway_values(config: PlatformConfig, placement: Placement, service_annotations: dict[str, str]) -> dict[str, Any]:
    ha = config.is_prod
    return {
        "service": {
            "type": "LoadBalancer",
            "annotations": service_annotations,
            # The chart's default is null, which its own schema (integer) rejects once values are
            # validated merged; 0 renders the same (the template omits a falsy port).
            "healthCheckNodePort": 0,
        },
        # Prod scales on CPU and keeps one replica through voluntary disruptions; elsewhere one pod.
        **({} if ha else {"replicaCount": 1}),
        "autoscaling": {"enabled": ha, "minReplicas": 2, "maxReplicas": 6},
        "podDisruptionBudget": {"minAvailable": 1} if ha else {},
        "topologySpreadConstraints": _zone_spread(INGRESS_GATEWAY_SELECTOR) if ha else [],
        # Pod Security `restricted`: the unprivileged-port sysctl (the chart's default, so the
        # gateway binds 80/443 without NET_BIND_SERVICE) plus the seccomp profile.
        "securityContext": {
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
            "seccompProfile": RUNTIME_DEFAULT,
        },
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }


def peer_authentication_spec() -> dict[str, Any]:
    """STRICT mTLS: sidecars accept only mutual-TLS traffic (no plaintext fallback)."""
    return {"mtls": {"mode": "STRICT"}}


def telemetry_spec(config: PlatformConfig) -> dict[str, Any]:
    return {
        "tracing": [
            {
                "providers": [{"name": TRACING_PROVIDER}],
                "randomSamplingPercentage": config.mesh.tracing_sampling_percent,
            }
        ],
        "accessLogging": [{"providers": [{"name": ACCESS_LOG_PROVIDER}]}],
    }


@dataclass(frozen=True)
class Istio:
    namespaces: dict[str, k8s.core.v1.Namespace]
    crds: list[pulumi.Resource]  # what a mesh custom resource (Gateway, VirtualService...) waits for


def install_istio(name: str, config: PlatformConfig, cluster: ClusterInfo, parent: pulumi.Resource) -> Istio:
    system = namespace(
        f"{name}-system-ns", SYSTEM_NAMESPACE, cluster, pod_security="restricted", reason="", parent=parent
    )
    ingress = namespace(
        f"{name}-ingress-ns", INGRESS_NAMESPACE, cluster, pod_security="restricted", reason="", parent=parent
    )
    cni_ns = namespace(
        f"{name}-cni-ns",
        CNI_NAMESPACE,
        cluster,
        pod_security="privileged",
        reason="Istio CNI node agent: hostPath CNI directories and NET_ADMIN/SYS_ADMIN to set up pod networking, "
        "so that meshed workloads need no privileged istio-init container",
        parent=parent,
    )
    # base: CRDs and the validating webhook's configuration, no pods.
    base = helm_release(
        f"{name}-base", "istio-base", config, cluster, namespace=system, values={}, parent=parent, runs_pods=False
    )
    istiod = helm_release(
        f"{name}-istiod",
        "istiod",
        config,
        cluster,
        namespace=system,
        values=istiod_values(config, cluster.system_placement),
        parent=parent,
        depends_on=[base],
    )
    # Independent of istiod: the agent only prepares nodes, so both install in parallel.
    helm_release(
        f"{name}-cni", "istio-cni", config, cluster, namespace=cni_ns, values=cni_values(config), parent=parent
    )
    # The gateway's pods are injected by istiod (image "auto"), so the webhook must exist first.
    helm_release(
        f"{name}-gateway",
        "istio-gateway",
        config,
        cluster,
        namespace=ingress,
        values=gateway_values(
            config, cluster.system_placement, cluster.load_balancer_annotations(config.mesh.internal_load_balancer)
        ),
        parent=parent,
        depends_on=[istiod],
    )
    # In the root namespace, each applies to the whole mesh. They need only the CRDs: until
    # istiod runs, base's validation webhook lets them through (failurePolicy Ignore).
    for role, api_version, kind, cr_name, spec in (
        ("mtls", "security.istio.io/v1", "PeerAuthentication", "default", peer_authentication_spec()),
        ("telemetry", "telemetry.istio.io/v1", "Telemetry", "mesh-default", telemetry_spec(config)),
    ):
        k8s.apiextensions.CustomResource(
            f"{name}-{role}",
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cr_name, namespace=system.metadata.name),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=parent, provider=cluster.provider, depends_on=[base]),
        )
    return Istio(
        namespaces={SYSTEM_NAMESPACE: system, INGRESS_NAMESPACE: ingress, CNI_NAMESPACE: cni_ns},
        crds=[base],
    )
