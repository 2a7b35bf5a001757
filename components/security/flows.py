"""Every network flow the platform's namespaces need, one row each with the reason: the table
the namespace-wide NetworkPolicies are built from (network_policy.py).

Each namespace the platform creates starts from default-deny (ingress and egress); these rows
are the only openings. Service-to-service calls inside `store` are not here: the service chart
renders them from `services.*.calls` (one owner per policy).

The Kubernetes API server and the cloud APIs have no stable in-cluster address (managed control
planes, regional endpoints, VPC endpoints), so flows to them and webhook calls from the API
server are opened by port to any address rather than by namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..addresses import (
    ARGO_ROLLOUTS_NAMESPACE,
    ARGOCD_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    FALCO_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    INGRESS_NAMESPACE,
    ISTIO_NAMESPACE,
    LINKERD_NAMESPACE,
    MONITORING_NAMESPACE,
    OTEL_COLLECTOR_GRPC,
    OTEL_COLLECTOR_HTTP,
    SERVICES_NAMESPACE,
    VAULT,
    VAULT_NAMESPACE,
)
from ..config import PlatformConfig
from ..webhooks import WEBHOOKS

ANY_NAMESPACE = "*"  # a row that applies in every namespace the platform creates
Port = tuple[Literal["TCP", "UDP"], int]


@dataclass(frozen=True)
class Peer:
    """The other end of a flow: pods in a namespace, every namespace (namespace "*"), or addresses."""

    namespace: str | None = None  # None: the addresses in `cidrs`
    pods: dict[str, str] = field(default_factory=dict)
    cidrs: tuple[str, ...] = ("0.0.0.0/0",)


ANYWHERE = Peer()
# Node-local endpoints that hand pods their cloud identity: the metadata server (GCE/GKE, and
# 169.254.169.252:988 on GKE Dataplane V2) and the EKS Pod Identity agent.
IDENTITY_ENDPOINTS = Peer(cidrs=("169.254.169.254/32", "169.254.169.252/32", "169.254.170.23/32"))
ALL_NAMESPACES = Peer(namespace=ANY_NAMESPACE)


@dataclass(frozen=True)
class Flow:
    name: str  # the NetworkPolicy's name in `namespace`
    namespace: str  # where the policy lives; "*" for every namespace
    direction: Literal["ingress", "egress"]
    peer: Peer
    ports: tuple[Port, ...]  # empty: every port
    reason: str
    pods: dict[str, str] = field(default_factory=dict)  # the pods it selects; empty: all of them
    when: Callable[[PlatformConfig], bool] = field(default=lambda _: True, compare=False)


def _between(
    name: str, source: str, target: str, ports: tuple[Port, ...], reason: str, target_pods: dict[str, str] | None = None
) -> tuple[Flow, Flow]:
    """A call from `source` to `target`: the egress row in one and the ingress row in the other."""
    pods = target_pods or {}
    return (
        Flow(f"allow-{name}-out", source, "egress", Peer(target, pods), ports, reason),
        Flow(f"allow-{name}-in", target, "ingress", Peer(source), ports, reason, pods=pods),
    )


def _on_cloud(config: PlatformConfig) -> bool:
    return config.cloud != "existing"


def _istio(config: PlatformConfig) -> bool:
    return config.mesh.provider == "istio"


def _linkerd(config: PlatformConfig) -> bool:
    return config.mesh.provider == "linkerd"


HTTPS: tuple[Port, ...] = (("TCP", 443),)
API_SERVER: tuple[Port, ...] = (("TCP", 443), ("TCP", 6443))  # managed control planes use 443; kubeadm 6443
DNS: tuple[Port, ...] = (("UDP", 53), ("TCP", 53))
ISTIOD_XDS: tuple[Port, ...] = (("TCP", 15012),)
LINKERD_CONTROL: tuple[Port, ...] = (("TCP", 8080), ("TCP", 8086), ("TCP", 8090))  # identity, destination, policy

# Namespaces whose add-on's components talk to each other (Raft peers, Argo CD server and
# repo-server, Prometheus and Alertmanager, Falco and falcosidekick...).
ADDON_NAMESPACES = (
    ISTIO_NAMESPACE,
    INGRESS_NAMESPACE,
    LINKERD_NAMESPACE,
    ARGOCD_NAMESPACE,
    ARGO_ROLLOUTS_NAMESPACE,
    MONITORING_NAMESPACE,
    VAULT_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    FALCO_NAMESPACE,
)
# Namespaces whose controllers watch or write Kubernetes objects through the API server.
API_CLIENTS = (
    ISTIO_NAMESPACE,
    LINKERD_NAMESPACE,
    ARGOCD_NAMESPACE,
    ARGO_ROLLOUTS_NAMESPACE,
    MONITORING_NAMESPACE,
    VAULT_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    GATEKEEPER_NAMESPACE,
)

FLOWS: tuple[Flow, ...] = (
    # Everywhere
    Flow(
        "allow-dns",
        ANY_NAMESPACE,
        "egress",
        Peer("kube-system", {"k8s-app": "kube-dns"}),
        DNS,
        "every pod resolves names through the cluster DNS (CoreDNS/kube-dns, labelled k8s-app=kube-dns on all clouds)",
    ),
    Flow(
        "allow-prometheus-scrape",
        ANY_NAMESPACE,
        "ingress",
        Peer(MONITORING_NAMESPACE, {"app.kubernetes.io/name": "prometheus"}),
        (),
        "Prometheus scrapes metrics in every namespace; each add-on exposes them on its own port",
    ),
    *(
        Flow(
            f"allow-same-namespace-{'in' if direction == 'ingress' else 'out'}",
            namespace,
            direction,
            Peer(namespace),
            (),
            "an add-on's own components talk to each other (Raft peers, server and repo-server, Falco and sidekick)",
        )
        for namespace in ADDON_NAMESPACES
        for direction in ("ingress", "egress")
    ),
    *(
        Flow(
            "allow-api-server",
            namespace,
            "egress",
            ANYWHERE,
            API_SERVER,
            "controllers watch and write Kubernetes objects (Vault: TokenReview for its Kubernetes auth)",
        )
        for namespace in API_CLIENTS
    ),
    # API server -> admission webhooks: one row per webhook in components/webhooks.py
    *(
        Flow(
            "allow-webhook",
            webhook.namespace,
            "ingress",
            ANYWHERE,
            tuple(("TCP", port) for port in webhook.ports),
            webhook.reason,
            pods=webhook.pods,
            when=webhook.when,
        )
        for webhook in WEBHOOKS
    ),
    # Mesh control plane
    Flow(
        "allow-mesh-control-plane",
        SERVICES_NAMESPACE,
        "egress",
        Peer(ISTIO_NAMESPACE, {"app": "istiod"}),
        ISTIOD_XDS,
        "sidecars fetch configuration and workload certificates from istiod",
        when=_istio,
    ),
    Flow(
        "allow-mesh-control-plane",
        INGRESS_NAMESPACE,
        "egress",
        Peer(ISTIO_NAMESPACE, {"app": "istiod"}),
        ISTIOD_XDS,
        "the ingress gateway fetches its configuration and certificates from istiod",
        when=_istio,
    ),
    Flow(
        "allow-mesh-clients",
        ISTIO_NAMESPACE,
        "ingress",
        ALL_NAMESPACES,
        ISTIOD_XDS,
        "every meshed pod (services, ingress gateway) connects to istiod",
        when=_istio,
    ),
    Flow(
        "allow-mesh-control-plane",
        SERVICES_NAMESPACE,
        "egress",
        Peer(LINKERD_NAMESPACE),
        LINKERD_CONTROL,
        "proxies get identity certificates, endpoints and policy from the Linkerd control plane",
        when=_linkerd,
    ),
    Flow(
        "allow-mesh-clients",
        LINKERD_NAMESPACE,
        "ingress",
        ALL_NAMESPACES,
        LINKERD_CONTROL,
        "every meshed pod connects to the Linkerd control plane",
        when=_linkerd,
    ),
    # Into the platform: ingress gateway -> gateway service
    Flow(
        "allow-clients",
        INGRESS_NAMESPACE,
        "ingress",
        ANYWHERE,
        (("TCP", 80), ("TCP", 443), ("TCP", 8080), ("TCP", 8443)),
        "clients reach the ingress gateway through the cloud load balancer (container ports 8080/8443)",
    ),
    *_between(
        "ingress-gateway",
        INGRESS_NAMESPACE,
        SERVICES_NAMESPACE,
        (),
        "the ingress gateway forwards client requests to the gateway service only",
        target_pods={"app.kubernetes.io/name": "gateway"},
    ),
    # Telemetry and alerts
    *_between(
        "traces",
        SERVICES_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", OTEL_COLLECTOR_GRPC.port), ("TCP", OTEL_COLLECTOR_HTTP.port)),
        "services export traces and metrics over OTLP to the collector",
    ),
    Flow(
        "allow-scrape-out",
        MONITORING_NAMESPACE,
        "egress",
        ALL_NAMESPACES,
        (),
        "Prometheus scrapes metrics endpoints in every namespace",
    ),
    *_between(
        "falco-alerts",
        FALCO_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", 9093),),
        "falcosidekick posts Falco events to Alertmanager",
    ),
    # Secrets
    *_between(
        "vault",
        EXTERNAL_SECRETS_NAMESPACE,
        VAULT_NAMESPACE,
        (("TCP", VAULT.port),),
        "External Secrets reads the services' secrets from Vault",
        target_pods={"app.kubernetes.io/name": "vault"},
    ),
    # Cloud APIs and outside services
    Flow(
        "allow-cloud-kms",
        VAULT_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "Vault auto-unseals with the cloud KMS (and gets workload-identity tokens from the cloud's STS)",
        when=_on_cloud,
    ),
    *(
        Flow(
            "allow-workload-identity",
            namespace,
            "egress",
            IDENTITY_ENDPOINTS,
            (("TCP", 80), ("TCP", 988)),
            "the pod gets its cloud credentials from the node's identity endpoint (GKE metadata, EKS Pod Identity)",
            when=when,
        )
        for namespace, when in (
            (VAULT_NAMESPACE, _on_cloud),
            (MONITORING_NAMESPACE, _on_cloud),
            (EXTERNAL_SECRETS_NAMESPACE, lambda config: config.secrets.backend == "aws-secrets-manager"),
        )
    ),
    Flow(
        "allow-secrets-manager",
        EXTERNAL_SECRETS_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "External Secrets reads AWS Secrets Manager (and STS for IRSA/Pod Identity)",
        when=lambda config: config.secrets.backend == "aws-secrets-manager",
    ),
    Flow(
        "allow-object-storage",
        MONITORING_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "Loki and Tempo write to the cloud's object storage; Alertmanager posts to Slack and PagerDuty",
    ),
    Flow(
        "allow-git",
        ARGOCD_NAMESPACE,
        "egress",
        ANYWHERE,
        (("TCP", 443), ("TCP", 22)),
        "Argo CD clones the deployment repository over HTTPS or SSH",
    ),
    Flow(
        "allow-slack",
        FALCO_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "falcosidekick posts Falco events to Slack; falcoctl fetches rule updates",
    ),
)


def flows_for(namespace: str, config: PlatformConfig) -> list[Flow]:
    """The rows that open `namespace`, in table order, for this stack's config."""
    return [flow for flow in FLOWS if flow.namespace in (namespace, ANY_NAMESPACE) and flow.when(config)]
