"""Every admission (and CRD conversion) webhook the platform's add-ons serve: where it runs and
the port the API server dials. One table, read by the NetworkPolicies (security/flows.py) and by
the GKE firewall that lets a private cluster's control plane reach the nodes (cluster/gke).

Managed API servers call a webhook on its pod's own port, not the Service's 443: GKE, for one,
routes webhook calls to the endpoints (kube-apiserver `--enable-aggregator-routing`), so the
target port is the one a firewall must open. A port here is the chart's default, left as is by
the platform's values; the source beside each row says where it is set. Add-ons that serve no
webhook (Argo CD, Argo Rollouts, Falco, Loki, Tempo, the OpenTelemetry Collector, Sloth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .addresses import (
    CERT_MANAGER_NAMESPACE,
    EXTERNAL_SECRETS_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    ISTIO_NAMESPACE,
    LINKERD_NAMESPACE,
    MONITORING_NAMESPACE,
    VAULT_NAMESPACE,
)
from .config import PlatformConfig


@dataclass(frozen=True)
class Webhook:
    addon: str
    namespace: str
    ports: tuple[int, ...]  # TCP, on the webhook's pods
    reason: str  # what the API server calls it for
    source: str  # where the port is set
    pods: dict[str, str] = field(default_factory=dict)  # the webhook's pods; empty: the namespace's
    when: Callable[[PlatformConfig], bool] = field(default=lambda _: True, compare=False)


def _istio(config: PlatformConfig) -> bool:
    return config.mesh.provider == "istio"


def _linkerd(config: PlatformConfig) -> bool:
    return config.mesh.provider == "linkerd"


def _vault(config: PlatformConfig) -> bool:
    return config.secrets.backend == "vault"


WEBHOOKS: tuple[Webhook, ...] = (
    Webhook(
        "gatekeeper",
        GATEKEEPER_NAMESPACE,
        (8443,),
        "the API server calls Gatekeeper's validating webhook",
        "gatekeeper chart values.yaml `port: 8443`",
    ),
    Webhook(
        "external-secrets",
        EXTERNAL_SECRETS_NAMESPACE,
        (10250,),
        "the API server calls the External Secrets webhook (CRD conversion, store validation)",
        "external-secrets chart values.yaml `webhook.port: 10250`",
    ),
    Webhook(
        "vault",
        VAULT_NAMESPACE,
        (8080,),
        "the API server calls the Vault agent injector's mutating webhook",
        "vault chart values.yaml `injector.port: 8080` (the platform enables the injector)",
        pods={"app.kubernetes.io/name": "vault-agent-injector"},
        when=_vault,
    ),
    Webhook(
        "istiod",
        ISTIO_NAMESPACE,
        (15017,),
        "the API server calls istiod's sidecar-injection and validation webhooks",
        "istiod chart (injector and validation on 15017); "
        "https://cloud.google.com/service-mesh/docs/private-cluster-open-port",
        when=_istio,
    ),
    Webhook(
        "linkerd-control-plane",
        LINKERD_NAMESPACE,
        (8443, 9443),
        "the API server calls Linkerd's proxy-injector, sp-validator and policy-validator webhooks",
        "https://linkerd.io/2/reference/cluster-configuration/ (GKE private clusters: "
        "8443 injector and sp-validator, 9443 policy validator)",
        when=_linkerd,
    ),
    Webhook(
        "cert-manager",
        CERT_MANAGER_NAMESPACE,
        (10250,),
        "the API server calls cert-manager's webhook (validation and defaulting of its resources, CRD conversion)",
        "cert-manager chart values.yaml `webhook.securePort: 10250`",
        pods={"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook"},
    ),
    Webhook(
        "kube-prometheus-stack",
        MONITORING_NAMESPACE,
        (10250,),
        "the API server calls the Prometheus Operator's admission webhook (PrometheusRule validation)",
        "kube-prometheus-stack values.yaml `prometheusOperator.tls.internalPort: 10250`",
    ),
)


def webhooks_for(config: PlatformConfig) -> list[Webhook]:
    """The webhooks this stack's add-ons serve."""
    return [webhook for webhook in WEBHOOKS if webhook.when(config)]


def webhook_ports(config: PlatformConfig) -> list[int]:
    """Every port the API server dials on a pod for this stack's webhooks, ascending."""
    return sorted({port for webhook in webhooks_for(config) for port in webhook.ports})
