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
from dataclasses import dataclass, field, replace
from typing import Literal

from ..addresses import (
    ALERTMANAGER,
    ARGO_ROLLOUTS_NAMESPACE,
    ARGOCD_NAMESPACE,
    CERT_MANAGER_NAMESPACE,
    EXTERNAL_DNS_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    FALCO_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    INGRESS_NAMESPACE,
    ISTIO_CNI_NAMESPACE,
    ISTIO_NAMESPACE,
    KARPENTER_NAMESPACE,
    LINKERD_CNI_NAMESPACE,
    LINKERD_NAMESPACE,
    MONITORING_AGENTS_NAMESPACE,
    MONITORING_NAMESPACE,
    OTEL_COLLECTOR_GRPC,
    PROMETHEUS,
    SERVICES_NAMESPACE,
    VAULT,
    VAULT_NAMESPACE,
)
from ..config import PlatformConfig
from ..webhooks import WEBHOOKS

ANY_NAMESPACE = "*"  # a row that applies in every namespace the platform creates
NODES = "<nodes>"  # in Peer.cidrs: the cluster network's node addresses (any address on an existing cluster)
# A port by number, or by the destination container's port name (one rule fits pods whose
# charts number their metrics port differently).
Port = tuple[Literal["TCP", "UDP"], int | str]


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
    name: str,
    source: str,
    target: str,
    ports: tuple[Port, ...],
    reason: str,
    target_pods: dict[str, str] | None = None,
    source_pods: dict[str, str] | None = None,
    when: Callable[[PlatformConfig], bool] = lambda _: True,
) -> tuple[Flow, Flow]:
    """A call from `source` to `target`: the egress row in one and the ingress row in the other."""
    pods, callers = target_pods or {}, source_pods or {}
    return (
        Flow(f"allow-{name}-out", source, "egress", Peer(target, pods), ports, reason, pods=callers, when=when),
        Flow(f"allow-{name}-in", target, "ingress", Peer(source, callers), ports, reason, pods=pods, when=when),
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
# repo-server, Prometheus and Alertmanager, Falco and falcosidekick...). Add-ons whose pods
# never call each other (Gatekeeper, External Secrets, Rollouts, istiod, the ingress gateway)
# are not here: verify reports a policy that opens more than the platform needs.
ADDON_NAMESPACES = (
    LINKERD_NAMESPACE,
    ARGOCD_NAMESPACE,
    MONITORING_NAMESPACE,
    VAULT_NAMESPACE,
    FALCO_NAMESPACE,
)
# Namespaces whose controllers watch or write Kubernetes objects through the API server (every
# one whose ServiceAccounts hold RBAC: the CNI agents, the gateway reading its TLS Secrets, the
# log agent's Kubernetes metadata, falcosidekick).
API_CLIENTS = (
    ISTIO_NAMESPACE,
    ISTIO_CNI_NAMESPACE,
    LINKERD_CNI_NAMESPACE,
    FALCO_NAMESPACE,
    INGRESS_NAMESPACE,
    MONITORING_AGENTS_NAMESPACE,
    LINKERD_NAMESPACE,
    ARGOCD_NAMESPACE,
    ARGO_ROLLOUTS_NAMESPACE,
    MONITORING_NAMESPACE,
    VAULT_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    KARPENTER_NAMESPACE,
    CERT_MANAGER_NAMESPACE,
    EXTERNAL_DNS_NAMESPACE,
)
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
# What Prometheus scrapes in each namespace (its ServiceMonitors and PodMonitors): named ports
# where the charts name them alike. Argo CD's and External Secrets' ServiceMonitors are created
# once the monitoring API is served. A namespace absent here is not scraped (node exporter runs
# on the host network, outside pod policies).
SCRAPED: tuple[tuple[str, tuple[Port, ...], Callable[[PlatformConfig], bool]], ...] = (
    (ARGO_ROLLOUTS_NAMESPACE, (("TCP", "metrics"),), lambda _: True),
    (ARGOCD_NAMESPACE, (("TCP", "metrics"),), lambda _: True),
    (CERT_MANAGER_NAMESPACE, (("TCP", "http-metrics"),), lambda _: True),
    (EXTERNAL_DNS_NAMESPACE, (("TCP", "http"),), lambda _: True),
    (EXTERNAL_SECRETS_NAMESPACE, (("TCP", "metrics"),), lambda _: True),
    (FALCO_NAMESPACE, (("TCP", 8765),), lambda _: True),
    (GATEKEEPER_NAMESPACE, (("TCP", "metrics"),), lambda _: True),
    (KARPENTER_NAMESPACE, (("TCP", "http-metrics"),), lambda config: config.cloud == "aws"),
    (ISTIO_NAMESPACE, (("TCP", "http-monitoring"),), lambda config: _istio(config)),
    (LINKERD_NAMESPACE, (("TCP", "admin-http"), ("TCP", "linkerd-admin")), lambda config: _linkerd(config)),
    (SERVICES_NAMESPACE, (("TCP", "metrics"), ("TCP", "http-envoy-prom")), lambda config: _istio(config)),
    (SERVICES_NAMESPACE, (("TCP", "metrics"), ("TCP", "linkerd-admin")), lambda config: _linkerd(config)),
    (VAULT_NAMESPACE, (("TCP", VAULT.port),), lambda _: True),
)
CERT_MANAGER_CONTROLLER = {"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"}
OTEL_COLLECTOR_PODS = {"app.kubernetes.io/name": "opentelemetry-collector", "component": "standalone-collector"}

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
    *(
        Flow(
            "allow-prometheus-scrape",
            namespace,
            "ingress",
            Peer(MONITORING_NAMESPACE, PROMETHEUS_PODS),
            ports,
            "Prometheus scrapes the metrics ports its ServiceMonitors and PodMonitors name here",
            when=when,
        )
        for namespace, ports, when in SCRAPED
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
    # Gatekeeper's post-install hook waits until the webhook answers before labelling namespaces.
    Flow(
        "allow-webhook-probe-out",
        GATEKEEPER_NAMESPACE,
        "egress",
        Peer(GATEKEEPER_NAMESPACE, {"control-plane": "controller-manager"}),
        (("TCP", "webhook-server"),),
        "Gatekeeper's install hook probes its own webhook before labelling namespaces",
        # The Job controller labels each Job's pods with its name.
        pods={"batch.kubernetes.io/job-name": "gatekeeper-update-namespace-label"},
    ),
    Flow(
        "allow-webhook-probe-in",
        GATEKEEPER_NAMESPACE,
        "ingress",
        Peer(GATEKEEPER_NAMESPACE, {"batch.kubernetes.io/job-name": "gatekeeper-update-namespace-label"}),
        (("TCP", "webhook-server"),),
        "Gatekeeper's install hook probes its own webhook before labelling namespaces",
        pods={"control-plane": "controller-manager"},
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
    *(
        Flow(
            f"allow-mesh-clients-{client}",
            ISTIO_NAMESPACE,
            "ingress",
            Peer(client),
            ISTIOD_XDS,
            "every meshed pod (services, ingress gateway) connects to istiod",
            when=_istio,
        )
        for client in (SERVICES_NAMESPACE, INGRESS_NAMESPACE)
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
        Peer(SERVICES_NAMESPACE),
        LINKERD_CONTROL,
        "every meshed pod (the services) connects to the Linkerd control plane",
        when=_linkerd,
    ),
    # Into the platform: ingress gateway -> gateway service
    Flow(
        "allow-clients",
        INGRESS_NAMESPACE,
        "ingress",
        ANYWHERE,
        (("TCP", 80), ("TCP", 443), ("TCP", 15021)),
        "clients reach the ingress gateway through the cloud load balancer, which health-checks its status port",
    ),
    *_between(
        "ingress-gateway",
        INGRESS_NAMESPACE,
        SERVICES_NAMESPACE,
        (("TCP", "http"),),
        "the ingress gateway forwards client requests to the gateway service's http port only",
        target_pods={"app.kubernetes.io/name": "gateway"},
        # The local environment does not publish the store (no charts/service/values/local/gateway.yaml);
        # only Istio installs an ingress gateway.
        when=lambda config: config.environment != "local" and _istio(config),
    ),
    # Telemetry and alerts
    *_between(
        "traces",
        SERVICES_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", OTEL_COLLECTOR_GRPC.port),),
        "services export traces and metrics over OTLP/gRPC to the collector",
        target_pods=OTEL_COLLECTOR_PODS,
    ),
    *_between(
        "gateway-traces",
        INGRESS_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", OTEL_COLLECTOR_GRPC.port),),
        "the ingress gateway's proxy sends its spans to the mesh's tracing provider, the collector",
        target_pods=OTEL_COLLECTOR_PODS,
        when=_istio,
    ),
    *_between(
        "logs",
        MONITORING_AGENTS_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", "http"),),
        "the node log agents push every pod's logs to Loki through its gateway",
        target_pods={"app.kubernetes.io/name": "loki", "app.kubernetes.io/component": "gateway"},
    ),
    Flow(
        "allow-scrape-out",
        MONITORING_NAMESPACE,
        "egress",
        ALL_NAMESPACES,
        (),
        "Prometheus scrapes metrics endpoints in every namespace (each namespace admits only its metrics ports)",
        pods=PROMETHEUS_PODS,
    ),
    Flow(
        "allow-scrape-nodes",
        MONITORING_NAMESPACE,
        "egress",
        Peer(cidrs=(NODES,)),
        (("TCP", 10250), ("TCP", 9100)),
        "Prometheus scrapes the kubelets (cAdvisor) and node exporter on the nodes' addresses",
        pods=PROMETHEUS_PODS,
    ),
    Flow(
        "allow-scrape-control-plane",
        MONITORING_NAMESPACE,
        "egress",
        Peer(cidrs=(NODES,)),
        (("TCP", 10257), ("TCP", 10259), ("TCP", 2381), ("TCP", 10249)),
        "on a self-managed control plane Prometheus scrapes kube-controller-manager, kube-scheduler, etcd "
        "and kube-proxy on the nodes (managed clouds hide them, and the platform scrapes them only here)",
        pods=PROMETHEUS_PODS,
        when=lambda config: config.cloud == "existing",
    ),
    *_between(
        "mesh-traces",
        LINKERD_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", OTEL_COLLECTOR_GRPC.port),),
        "Linkerd's meshed controllers and their proxies export spans to the collector",
        target_pods=OTEL_COLLECTOR_PODS,
        source_pods={"linkerd.io/control-plane-ns": LINKERD_NAMESPACE},
        when=_linkerd,
    ),
    *_between(
        "analysis",
        ARGO_ROLLOUTS_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", PROMETHEUS.port),),
        "Argo Rollouts' controller runs each canary analysis query against Prometheus",
        target_pods=PROMETHEUS_PODS,
    ),
    *_between(
        "falco-alerts",
        FALCO_NAMESPACE,
        MONITORING_NAMESPACE,
        (("TCP", ALERTMANAGER.port),),
        "falcosidekick posts Falco events to Alertmanager",
        target_pods={"app.kubernetes.io/name": "alertmanager"},
        source_pods={"app.kubernetes.io/name": "falcosidekick"},
    ),
    # Secrets
    *_between(
        "vault",
        EXTERNAL_SECRETS_NAMESPACE,
        VAULT_NAMESPACE,
        (("TCP", VAULT.port),),
        "External Secrets' controller reads the services' secrets from Vault",
        target_pods={"app.kubernetes.io/name": "vault"},
        source_pods={"app.kubernetes.io/name": "external-secrets"},
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
            (CERT_MANAGER_NAMESPACE, _on_cloud),
            (EXTERNAL_DNS_NAMESPACE, _on_cloud),
        )
    ),
    # Certificates: ACME with DNS-01 in the stack's zone (cloud stacks; local is self-signed)
    Flow(
        "allow-acme",
        CERT_MANAGER_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "cert-manager orders certificates from Let's Encrypt and writes the DNS-01 TXT records through the "
        "cloud's DNS API (and the cloud's STS for its workload identity)",
        pods=CERT_MANAGER_CONTROLLER,
        when=_on_cloud,
    ),
    Flow(
        "allow-dns-api",
        EXTERNAL_DNS_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "external-dns writes the platform hosts' records through the cloud's DNS API (and its STS)",
        when=_on_cloud,
    ),
    Flow(
        "allow-dns01-self-check",
        CERT_MANAGER_NAMESPACE,
        "egress",
        ANYWHERE,
        DNS,
        "before answering a challenge cert-manager checks that the TXT record is visible on the zone's "
        "authoritative name servers, which it queries directly",
        pods=CERT_MANAGER_CONTROLLER,
        when=_on_cloud,
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
        "allow-aws-apis",
        KARPENTER_NAMESPACE,
        "egress",
        ANYWHERE,
        HTTPS,
        "Karpenter calls EC2 (fleets, instances, launch templates), SSM (AMI ids), Pricing, IAM (instance "
        "profiles), EKS and STS (its IRSA token) in the region",
        when=lambda config: config.cloud == "aws",
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


def _node_addresses(config: PlatformConfig) -> tuple[str, ...]:
    return ("0.0.0.0/0",) if config.cloud == "existing" else (config.cluster.network_cidr,)


def _resolved(flow: Flow, config: PlatformConfig) -> Flow:
    if NODES not in flow.peer.cidrs:
        return flow
    cidrs = tuple(c for cidr in flow.peer.cidrs for c in (_node_addresses(config) if cidr == NODES else (cidr,)))
    return replace(flow, peer=replace(flow.peer, cidrs=cidrs))


def flows_for(namespace: str, config: PlatformConfig) -> list[Flow]:
    """The rows that open `namespace`, in table order, for this stack's config."""
    return [
        _resolved(flow, config) for flow in FLOWS if flow.namespace in (namespace, ANY_NAMESPACE) and flow.when(config)
    ]
