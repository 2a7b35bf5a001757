"""Which image registries the cluster may pull from: the services' (config `policy.allowedRegistries`)
plus those the platform's own add-ons pull from. The one list Gatekeeper's K8sAllowedRepos gets.

The add-on rows follow the image repositories of the pinned charts (their default values.yaml);
a chart upgrade that moves an image to another registry shows up as a K8sAllowedRepos violation
in dev (enforcement warn) before it reaches prod.
"""

from __future__ import annotations

from ..config import PlatformConfig

# Registry prefix -> the add-ons whose images come from it. A shared registry (Docker Hub's
# library, a personal ghcr.io namespace) is allowed one repository at a time, up to the tag.
PLATFORM_REGISTRIES: dict[str, tuple[str, ...]] = {
    "docker.io/hashicorp/": ("vault", "vault-k8s injector"),
    "hashicorp/": ("vault (chart writes the image without the docker.io host)",),
    "ghcr.io/external-secrets/": ("external-secrets",),
    "openpolicyagent/": ("gatekeeper",),
    "docker.io/falcosecurity/": ("falco", "falcosidekick", "falcoctl"),
    "falcosecurity/": ("falco (images named without the docker.io host)",),
    "docker.io/istio/": ("istiod", "istio proxy", "istio-cni"),
    "cr.l5d.io/linkerd/": ("linkerd control plane and proxy",),
    "quay.io/argoproj/": ("argo-cd", "argo-rollouts"),
    "ghcr.io/dexidp/": ("argo-cd dex",),
    # ECR Public's dual-stack name, which the argo-cd chart writes (public.ecr.aws is the old one).
    "ecr-public.aws.com/docker/library/redis:": ("argo-cd redis and redis-ha",),
    "ecr-public.aws.com/docker/library/haproxy:": ("argo-cd redis-ha haproxy",),
    "quay.io/prometheus/": ("prometheus", "alertmanager", "node-exporter"),
    "quay.io/prometheus-operator/": ("prometheus-operator", "config-reloader"),
    "registry.k8s.io/": ("kube-state-metrics",),
    "ghcr.io/jkroepke/kube-webhook-certgen:": ("kube-prometheus-stack admission webhook certificate jobs",),
    "ghcr.io/jkroepke/access-log-exporter:": ("loki gateway access-log exporter",),
    "docker.io/nginxinc/nginx-unprivileged:": ("loki gateway",),
    "curlimages/curl:": ("gatekeeper post-install webhook probe",),
    "docker.io/grafana/": ("grafana", "loki", "tempo"),
    "grafana/": ("grafana, loki, tempo (images named without the docker.io host)",),
    "quay.io/kiwigrid/": ("grafana dashboard sidecar",),
    "docker.io/kiwigrid/": ("loki rules sidecar",),
    "otel/": ("opentelemetry-collector",),
    "docker.io/jaegertracing/": ("jaeger",),
    "jaegertracing/": ("jaeger (the chart writes the image without the docker.io host)",),
    "ghcr.io/slok/": ("sloth",),
    "public.ecr.aws/karpenter/": ("karpenter controller (EKS)",),
    # Only cert-manager's own images in the shared quay.io/jetstack namespace (the ACME solver is
    # HTTP-01's and never runs: the issuers answer DNS-01).
    "quay.io/jetstack/cert-manager-": ("cert-manager controller, webhook, cainjector",),
}


def allowed_registries(config: PlatformConfig) -> list[str]:
    """The services' registries first, then the platform's, without duplicates, in a stable order."""
    return list(dict.fromkeys([*config.policy.allowed_registries, *PLATFORM_REGISTRIES]))
