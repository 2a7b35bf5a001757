"""Flows no object says, listed by hand: one row each with the reason (DESIGN.md, verify).

Everything an object does say (monitors, webhooks, configured addresses, routes, calls, RBAC)
is derived in required_flows.py; a row here is only for what the objects leave implicit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from components.config import PlatformConfig

from .endpoints import Endpoints
from .netpol import Endpoint, Port
from .objects import ObjectSet, selector_matches
from .required_flows import Flow

# Custom resources whose addresses a controller dials: kind -> (controller namespace, pod labels).
CONTROLLERS: dict[str, tuple[str, dict[str, str]]] = {
    # Argo Rollouts runs an AnalysisTemplate's Prometheus queries from its controller.
    "AnalysisTemplate": ("argo-rollouts", {"app.kubernetes.io/name": "argo-rollouts"}),
    "ClusterAnalysisTemplate": ("argo-rollouts", {"app.kubernetes.io/name": "argo-rollouts"}),
    # External Secrets' controller reads the store's server (Vault) for every ExternalSecret.
    "ClusterSecretStore": ("external-secrets", {"app.kubernetes.io/name": "external-secrets"}),
    "SecretStore": ("external-secrets", {"app.kubernetes.io/name": "external-secrets"}),
}

# Namespaces whose add-on components talk to each other by short names or peer discovery
# that no config spells as a Service address: Argo CD (server, repo-server, redis-ha sentinels),
# monitoring (Loki's ring and memberlist, Alertmanager's cluster mesh), Vault's Raft peers,
# Falco to falcosidekick, Linkerd's control plane.
CHATTY_NAMESPACES = ("argocd", "monitoring", "vault", "falco", "linkerd")

HTTPS: tuple[Port, ...] = (("TCP", 443),)
Pick = Callable[[Endpoints], list[Endpoint]]


def _pods(namespace: str, **labels: str) -> Pick:
    return lambda ends: [
        e for e in ends.all_pods() if e.namespace == namespace and selector_matches({"matchLabels": labels}, e.labels)
    ]


def _on_cloud(config: PlatformConfig) -> bool:
    return config.cloud != "existing"


@dataclass(frozen=True)
class Row:
    name: str
    reason: str
    sources: Pick
    destination: Callable[[Endpoints], Endpoint]
    ports: tuple[Port, ...]
    when: Callable[[PlatformConfig], bool] = field(default=lambda _: True)


ROWS: tuple[Row, ...] = (
    Row(
        "git",
        "Argo CD's repo-server clones the deployment repository (HTTPS or SSH)",
        _pods("argocd", **{"app.kubernetes.io/name": "argocd-repo-server"}),
        lambda ends: ends.internet,
        (("TCP", 443), ("TCP", 22)),
    ),
    Row(
        "cloud-kms",
        "Vault auto-unseals with the cloud KMS",
        _pods("vault", **{"app.kubernetes.io/name": "vault"}),
        lambda ends: ends.internet,
        HTTPS,
        _on_cloud,
    ),
    *(
        Row(
            f"object-storage-{app}",
            f"{app} writes its blocks to the cloud's object storage",
            _pods("monitoring", **{"app.kubernetes.io/name": app}),
            lambda ends: ends.internet,
            HTTPS,
            _on_cloud,
        )
        for app in ("loki", "tempo")
    ),
    *(
        Row(
            f"workload-identity-{app}",
            f"{app} gets its cloud credentials from the node's identity endpoint",
            _pods(ns, **{"app.kubernetes.io/name": app}),
            lambda ends: ends.metadata,
            (("TCP", 80),),
            _on_cloud,
        )
        for ns, app in (("vault", "vault"), ("monitoring", "loki"), ("monitoring", "tempo"))
    ),
    Row(
        "alert-receivers",
        "Alertmanager posts to Slack and PagerDuty",
        _pods("monitoring", **{"app.kubernetes.io/name": "alertmanager"}),
        lambda ends: ends.internet,
        HTTPS,
    ),
    Row(
        "falco-slack",
        "falcosidekick posts Falco events to Slack",
        _pods("falco", **{"app.kubernetes.io/name": "falcosidekick"}),
        lambda ends: ends.internet,
        HTTPS,
    ),
    Row(
        "falco-rules",
        "falcoctl follows the rules artifact in its OCI registry",
        _pods("falco", **{"app.kubernetes.io/name": "falco"}),
        lambda ends: ends.internet,
        HTTPS,
    ),
    Row(
        "secrets-manager",
        "External Secrets reads AWS Secrets Manager (and STS for its identity)",
        _pods("external-secrets", **{"app.kubernetes.io/name": "external-secrets"}),
        lambda ends: ends.internet,
        HTTPS,
        lambda config: config.secrets.backend == "aws-secrets-manager",
    ),
)


def _dns(ends: Endpoints) -> list[Flow]:
    """Every pod in the pod network resolves names through the cluster DNS."""
    return [
        Flow(e, ends.dns, port, "every pod resolves names through the cluster DNS")
        for e in ends.pods
        if e.in_pod_network
        for port in (("UDP", 53), ("TCP", 53))
    ]


def _same_namespace(ends: Endpoints) -> list[Flow]:
    flows = []
    for ns in CHATTY_NAMESPACES:
        pods = ends.in_namespace(ns)
        for source in pods:
            for destination in pods:
                if source is destination:
                    continue
                flows += [
                    Flow(source, destination, (proto, n), f"{ns}: an add-on's components talk to each other")
                    for _, proto, n in destination.ports
                ]
    return flows


# Charts that create their ServiceMonitors only when the cluster serves monitoring.coreos.com/v1,
# which the offline render cannot offer (Helm's Capabilities): Prometheus scrapes these ports
# once installed. namespace -> container port name.
GATED_MONITORS = {"argocd": "metrics", "external-secrets": "metrics"}


def _gated_scrapes(ends: Endpoints) -> list[Flow]:
    scrapers = [e for e in ends.pods if e.labels.get("app.kubernetes.io/name") == "prometheus"]
    flows = []
    for ns, port_name in GATED_MONITORS.items():
        for pod in ends.in_namespace(ns):
            number = pod.named_port(port_name, "TCP")
            if number is not None:
                flows += [
                    Flow(s, pod, ("TCP", number), f"{ns}: its chart's ServiceMonitor (gated on the monitoring API)")
                    for s in scrapers
                ]
    return flows


def _control_plane_addresses(ends: Endpoints, derived: list[Flow], ipblock_matches_pods: bool) -> list[Flow]:
    """Tolerated, not required: the API server's calls (webhooks) come from control-plane addresses the program does not
    know on every cloud (EKS' ENIs inside the VPC, GKE's and AKS' managed ranges), so their
    policies admit any address: the nodes', the internet's, and where the dataplane matches pod
    addresses by ipBlock (EKS, kind), the pods' too, which share the VPC with the control plane."""
    others = [ends.internet, ends.nodes, *(e for e in ends.pods if e.host_network)]
    if ipblock_matches_pods:
        others += [e for e in ends.all_pods() if e.in_pod_network]
    reason = "the API server's calls come from control-plane addresses unknown in advance"
    return [
        Flow(o, f.destination, f.port, reason, required=False)
        for f in derived
        if f.source is ends.api_server
        for o in others
        if o is not f.destination
    ]


def _linkerd_inbound(ends: Endpoints, derived: list[Flow]) -> list[Flow]:
    """Between Linkerd proxies a connection may arrive on the server proxy's inbound port 4143
    (opaque and transport-header connections) besides the application's own port. Proxies reach
    the control plane (identity, destination, policy) on its service ports."""

    def meshed(e: Endpoint) -> bool:
        return e.named_port("linkerd-proxy", "TCP") is not None

    return [
        Flow(f.source, f.destination, ("TCP", 4143), "Linkerd proxies connect to the peer proxy's inbound port")
        for f in derived
        if meshed(f.source) and meshed(f.destination) and "linkerd" not in (f.source.namespace, f.destination.namespace)
    ]


def hand_flows(
    objects: ObjectSet, ends: Endpoints, config: PlatformConfig, derived: list[Flow], *, ipblock_matches_pods: bool
) -> list[Flow]:
    flows = [
        *_dns(ends),
        *_same_namespace(ends),
        *_gated_scrapes(ends),
        *_control_plane_addresses(ends, derived, ipblock_matches_pods),
        *_linkerd_inbound(ends, derived),
    ]
    for row in ROWS:
        if row.when(config):
            destination = row.destination(ends)
            flows += [
                Flow(s, destination, p, f"{row.name}: {row.reason}") for s in row.sources(ends) for p in row.ports
            ]
    return flows
