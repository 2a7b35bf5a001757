"""Where the platform's pieces find each other: namespaces, service names and ports that one
add-on area publishes and another consumes. Defined once here so they cannot drift apart
(the mesh's tracing provider and the collector's Service, Rollouts' analyses and Prometheus...)."""

from __future__ import annotations

from dataclasses import dataclass

SERVICES_NAMESPACE = "store"  # where the six services run; one cluster per environment


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    service: str
    port: int
    scheme: str = "http"

    @property
    def host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.cluster.local"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


MONITORING_NAMESPACE = "monitoring"
OTEL_COLLECTOR_GRPC = Endpoint(MONITORING_NAMESPACE, "otel-collector", 4317)
OTEL_COLLECTOR_HTTP = Endpoint(MONITORING_NAMESPACE, "otel-collector", 4318)
PROMETHEUS = Endpoint(MONITORING_NAMESPACE, "prometheus-operated", 9090)
# The operator's StatefulSet for kube-prometheus-stack's Prometheus: `prometheus-<resource name>`.
PROMETHEUS_STATEFULSET = "prometheus-kube-prometheus-stack-prometheus"


def prometheus_replicas(count: int) -> list[Endpoint]:
    """Each Prometheus replica by its stable pod address under the governing Service. Pushed
    metrics (OTLP, remote write) must reach every replica of an HA pair, each of which keeps a
    full copy; the Service's address would hand each series to one replica only."""
    return [
        Endpoint(MONITORING_NAMESPACE, f"{PROMETHEUS_STATEFULSET}-{i}.{PROMETHEUS.service}", PROMETHEUS.port)
        for i in range(count)
    ]


ALERTMANAGER = Endpoint(MONITORING_NAMESPACE, "alertmanager-operated", 9093)
LOKI = Endpoint(MONITORING_NAMESPACE, "loki-gateway", 80)

# Namespaces one area creates and another's policies refer to by name (network flows, Gatekeeper
# exclusions): the mesh's control plane and ingress gateway, GitOps, the security add-ons.
ISTIO_NAMESPACE = "istio-system"
ISTIO_CNI_NAMESPACE = "istio-cni"
LINKERD_CNI_NAMESPACE = "linkerd-cni"
MONITORING_AGENTS_NAMESPACE = "monitoring-agents"
INGRESS_NAMESPACE = "istio-ingress"
LINKERD_NAMESPACE = "linkerd"
ARGOCD_NAMESPACE = "argocd"
ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts"
VAULT_NAMESPACE = "vault"
EXTERNAL_SECRETS_NAMESPACE = "external-secrets"
GATEKEEPER_NAMESPACE = "gatekeeper-system"
FALCO_NAMESPACE = "falco"
KARPENTER_NAMESPACE = "karpenter"  # EKS only: node autoscaling (components/cluster/eks/karpenter.py)
CERT_MANAGER_NAMESPACE = "cert-manager"
EXTERNAL_DNS_NAMESPACE = "external-dns"
VAULT = Endpoint(VAULT_NAMESPACE, "vault", 8200, scheme="https")
IN_CLUSTER_API = "https://kubernetes.default.svc"  # how Argo CD names the cluster it runs in
