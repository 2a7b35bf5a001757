"""Every third-party Helm chart the platform installs: chart, repository and pinned version.

Upgrading an add-on is a one-line change here; a stack can pin differently under
`store-platform:platform.charts.<add-on>` (version and/or repository).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .config.model import PlatformConfig


@dataclass(frozen=True)
class Chart:
    chart: str  # the chart's name in its repository
    repository: str  # https:// Helm repository or oci:// registry
    version: str  # exact chart version; never a range, never latest


_ISTIO = "https://istio-release.storage.googleapis.com/charts"
_LINKERD = "https://helm.linkerd.io/edge"
_ARGO = "https://argoproj.github.io/argo-helm"
_GRAFANA = "https://grafana-community.github.io/helm-charts"
_PROMETHEUS = "https://prometheus-community.github.io/helm-charts"

# One line per component. A component's CRD chart is not listed here: it is derived from the
# component's line (CRD_CHARTS below), so bumping the component bumps its CRDs in the same change.
COMPONENTS: dict[str, Chart] = {
    # Istio's charts move together: one release (1.30.x is supported; 1.29 reached end of life 2026-10).
    "istio-base": Chart("base", _ISTIO, "1.30.3"),
    "istiod": Chart("istiod", _ISTIO, "1.30.3"),
    "istio-gateway": Chart("gateway", _ISTIO, "1.30.3"),
    "istio-cni": Chart("cni", _ISTIO, "1.30.3"),
    "linkerd-crds": Chart("linkerd-crds", _LINKERD, "2025.11.2"),
    "linkerd-control-plane": Chart("linkerd-control-plane", _LINKERD, "2025.11.2"),
    "linkerd-cni": Chart("linkerd2-cni", _LINKERD, "2025.11.2"),
    "argo-cd": Chart("argo-cd", _ARGO, "10.1.1"),
    "argo-rollouts": Chart("argo-rollouts", _ARGO, "2.41.0"),
    "kube-prometheus-stack": Chart("kube-prometheus-stack", _PROMETHEUS, "88.5.3"),
    "loki": Chart("loki", _GRAFANA, "18.11.0"),
    "tempo": Chart("tempo", _GRAFANA, "2.2.4"),
    "opentelemetry-collector": Chart(
        "opentelemetry-collector", "https://open-telemetry.github.io/opentelemetry-helm-charts", "0.170.0"
    ),
    "jaeger": Chart("jaeger", "https://jaegertracing.github.io/helm-charts", "4.11.1"),
    "sloth": Chart("sloth", "https://slok.github.io/sloth", "0.16.0"),
    "vault": Chart("vault", "https://helm.releases.hashicorp.com", "0.34.1"),
    "external-secrets": Chart("external-secrets", "https://charts.external-secrets.io", "2.9.0"),
    "cert-manager": Chart("cert-manager", "https://charts.jetstack.io", "v1.19.1"),
    "external-dns": Chart("external-dns", "https://kubernetes-sigs.github.io/external-dns", "1.21.1"),
    "gatekeeper": Chart("gatekeeper", "https://open-policy-agent.github.io/gatekeeper/charts", "3.21.0"),
    "falco": Chart("falco", "https://falcosecurity.github.io/charts", "9.1.0"),
    # EKS node autoscaling (its CRDs: karpenter-crd, derived below).
    "karpenter": Chart("karpenter", "oci://public.ecr.aws/karpenter", "1.14.1"),
}


@dataclass(frozen=True)
class CrdChart:
    """A chart holding only a component's CRDs, installed as its own release so Helm upgrades them
    (Helm never upgrades what a chart keeps in `crds/`) and so CRs elsewhere need not wait for the
    whole component."""

    component: str  # the COMPONENTS line it follows
    chart: str
    # Component version -> CRD chart version carrying the same API; empty: the same version.
    versions: dict[str, str]


CRD_CHARTS: dict[str, CrdChart] = {
    # The operator's CRDs on their own, so other areas' ServiceMonitors and PrometheusRules do not
    # wait for the whole stack. Each kube-prometheus-stack version maps to the
    # prometheus-operator-crds version of the same operator (88.5.3 and 31.0.1: operator v0.93.1).
    "prometheus-operator-crds": CrdChart("kube-prometheus-stack", "prometheus-operator-crds", {"88.5.3": "31.0.1"}),
    "karpenter-crd": CrdChart("karpenter", "karpenter-crd", {}),
}


def _derived(crd: CrdChart, component: Chart) -> Chart:
    if not crd.versions:
        return Chart(crd.chart, component.repository, component.version)
    version = crd.versions.get(component.version)
    if version is None:
        raise ValueError(
            f"{crd.component} {component.version} has no {crd.chart} version in components/catalogue.py "
            f"CRD_CHARTS; add the one carrying the same CRDs ({crd.chart} chart's appVersion)"
        )
    return Chart(crd.chart, component.repository, version)


CATALOGUE: dict[str, Chart] = {
    **COMPONENTS,
    **{name: _derived(crd, COMPONENTS[crd.component]) for name, crd in CRD_CHARTS.items()},
}


@dataclass(frozen=True)
class ChartCrdFile:
    """A CRD a component's chart keeps in `crds/` (which Helm installs once and never upgrades),
    applied by the program instead, from the chart's own source at the pinned chart release, so a
    bump of the component's catalogue line upgrades it. The release skips its `crds/`."""

    component: str  # the COMPONENTS line it follows
    # The file at the chart's release, `{version}` standing for the chart version (the upstream
    # release tag carries it, so the URL can only name the pinned chart's CRD).
    url: str
    path: str  # the same file inside the chart archive (verify reads it from there, offline)

    def url_at(self, version: str) -> str:
        return self.url.format(version=version)


CHART_CRD_FILES: dict[str, ChartCrdFile] = {
    # Sloth publishes its chart from tags `sloth-helm-chart-<chart version>`.
    "sloth": ChartCrdFile(
        "sloth",
        "https://raw.githubusercontent.com/slok/sloth/sloth-helm-chart-{version}/"
        "deploy/kubernetes/helm/sloth/crds/sloth.slok.dev_prometheusservicelevels.yaml",
        "crds/sloth.slok.dev_prometheusservicelevels.yaml",
    ),
}


def crd_file_url(addon: str, config: PlatformConfig) -> str:
    """Where the program applies `addon`'s chart CRDs from: its file at the stack's pinned version."""
    return CHART_CRD_FILES[addon].url_at(chart_for(addon, config).version)


def chart_for(addon: str, config: PlatformConfig) -> Chart:
    """The catalogue entry for `addon` with the stack's overrides applied; a CRD chart follows its
    component's (overridden) version."""
    if addon in CRD_CHARTS:
        crd = CRD_CHARTS[addon]
        return _derived(crd, chart_for(crd.component, config))
    chart = CATALOGUE[addon]
    override = config.charts.get(addon)
    if override is None:
        return chart
    return replace(chart, version=override.version or chart.version, repository=override.repository or chart.repository)
