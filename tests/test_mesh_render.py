"""The mesh as the stack declares it: releases, namespaces, mesh-wide resources and their
dependencies, for each provider (rendered offline on the existing-cluster flavour)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.addresses import OTEL_COLLECTOR_GRPC, SERVICES_NAMESPACE
from components.mesh.enrolment import enrolment
from store_platform_tools.render import RenderResult
from tests.rendering import of_type, one, release, render, render_with

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
MESH = "store-mesh"  # the Mesh component's name in the Platform; its children start with it

ISTIO_CHARTS = {"base", "istiod", "gateway", "cni"}
LINKERD_CHARTS = {"linkerd-crds", "linkerd-control-plane", "linkerd2-cni"}


@pytest.fixture(scope="module")
def linkerd_dev(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_with("dev", tmp_path_factory.mktemp("linkerd"), {"mesh": {"provider": "linkerd"}}, cloud="existing")


@pytest.fixture(scope="module")
def linkerd_prod(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render_with("prod", tmp_path_factory.mktemp("linkerd"), {"mesh": {"provider": "linkerd"}}, cloud="existing")


def istio_dev() -> RenderResult:
    return render("dev", "existing")


def charts(result: RenderResult) -> set[str]:
    """The charts the mesh area installs."""
    return {r["inputs"]["chart"] for r in of_type(result, RELEASE) if r["name"].startswith(MESH)}


def release_resource(result: RenderResult, chart: str) -> dict[str, Any]:
    return next(r for r in of_type(result, RELEASE) if r["inputs"]["chart"] == chart)


def namespace_named(result: RenderResult, name: str) -> dict[str, Any]:
    return next(r for r in of_type(result, NAMESPACE) if r["inputs"]["metadata"]["name"] == name)


# What may follow the mesh outside the mesh area, each for a reason: the services' namespace
# enrolment; the cluster Secret label the ApplicationSet hands to the service chart (traffic
# routing and request metrics by mesh); the SLOs and dashboards, whose queries use the mesh's
# request metrics (components/mesh/metrics.py); and the network policies of the mesh's own
# namespaces and of the services' egress to its control plane.
FOLLOWS_THE_MESH_PATHS = {
    ("store-services-ns", "metadata.labels.istio-injection"),
    ("store-services-ns", "metadata.annotations.linkerd.io/inject"),
    ("store-gitops-cluster-secret", "metadata.labels.mesh"),
}
MESH_NAMESPACES = ("istio-system", "istio-ingress", "istio-cni", "linkerd", "linkerd-cni")


def follows_the_mesh(name: str, path: str) -> bool:
    return (
        (name, path) in FOLLOWS_THE_MESH_PATHS
        or (name.startswith("store-observability-slo-") and path == "spec.slos")
        or (name.startswith("store-observability-dashboard-") and path.startswith("data."))
        or name.startswith(tuple(f"store-security-{ns}-" for ns in MESH_NAMESPACES))
        or name == "store-security-store-allow-mesh-control-plane"
        # the proxies' metrics port, and the Istio gateway's spans to the collector
        or (name, path) == ("store-security-store-allow-prometheus-scrape", "spec.ingress")
        or name.startswith("store-security-monitoring-allow-gateway-traces-")
        # Linkerd's control plane exports spans; only Istio has an ingress gateway
        or name.startswith("store-security-monitoring-allow-mesh-traces-")
        or name.startswith("store-security-store-allow-ingress-gateway-")
        # the hosts' certificates land beside the mesh's gateway pods (Istio's ingress gateway)
        or (name.startswith("store-front-door-") and name.endswith("-certificate"))
        # external-dns publishes the gateway's hosts: installed where the mesh has a gateway
        or name.startswith(("store-front-door-external-dns", "store-security-external-dns-"))
    )


def _flat(value: Any, path: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    return {path: json.dumps(value, sort_keys=True)}


def outside_mesh_differences(a: RenderResult, b: RenderResult) -> set[tuple[str, str]]:
    """(resource name, input path) of every difference between two renders outside the mesh area;
    a resource in only one of them counts as a difference at its root."""
    left = {r["urn"]: r for r in a.resources if not r["name"].startswith(MESH)}
    right = {r["urn"]: r for r in b.resources if not r["name"].startswith(MESH)}
    found = {((left.get(u) or right[u])["name"], "") for u in set(left) ^ set(right)}
    for urn in set(left) & set(right):
        fa, fb = _flat(left[urn]["inputs"]), _flat(right[urn]["inputs"])
        found |= {(left[urn]["name"], k) for k in set(fa) | set(fb) if fa.get(k) != fb.get(k)}
    return found


def test_istio_installs_base_istiod_cni_and_gateway() -> None:
    assert charts(istio_dev()) == ISTIO_CHARTS


def test_linkerd_installs_crds_cni_and_control_plane(linkerd_dev: RenderResult) -> None:
    assert charts(linkerd_dev) == LINKERD_CHARTS


def test_switching_mesh_changes_nothing_outside_the_mesh_but_what_follows_it(linkerd_dev: RenderResult) -> None:
    differences = outside_mesh_differences(istio_dev(), linkerd_dev)
    assert differences and [d for d in sorted(differences) if not follows_the_mesh(*d)] == []


@pytest.mark.parametrize("provider", ["istio", "linkerd"])
def test_services_namespace_is_enrolled_and_stays_restricted(provider: str, linkerd_dev: RenderResult) -> None:
    result = istio_dev() if provider == "istio" else linkerd_dev
    metadata = namespace_named(result, SERVICES_NAMESPACE)["inputs"]["metadata"]
    expected = enrolment(provider)
    assert expected.labels.items() <= metadata["labels"].items()
    assert expected.annotations.items() <= (metadata.get("annotations") or {}).items()
    assert metadata["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize(
    ("provider", "name", "level"),
    [
        ("istio", "istio-system", "restricted"),
        ("istio", "istio-ingress", "restricted"),
        ("istio", "istio-cni", "privileged"),
        ("linkerd", "linkerd", "restricted"),
        ("linkerd", "linkerd-cni", "privileged"),
    ],
)
def test_only_the_cni_node_agents_namespace_is_privileged(
    provider: str, name: str, level: str, linkerd_dev: RenderResult
) -> None:
    result = istio_dev() if provider == "istio" else linkerd_dev
    metadata = namespace_named(result, name)["inputs"]["metadata"]
    assert metadata["labels"]["pod-security.kubernetes.io/enforce"] == level
    assert ("store-platform/pod-security-reason" in (metadata.get("annotations") or {})) == (level != "restricted")


def test_mtls_is_strict_mesh_wide() -> None:
    policy = one(istio_dev(), "kubernetes:security.istio.io/v1:PeerAuthentication")["inputs"]
    # In the root namespace and without a selector: every workload in the mesh.
    assert policy["metadata"]["namespace"] == "istio-system" and "selector" not in policy["spec"]
    assert policy["spec"]["mtls"]["mode"] == "STRICT"


def test_istio_tracing_provider_address_is_the_collectors() -> None:
    mesh_config = release(istio_dev(), "istiod")["values"]["meshConfig"]
    telemetry = one(istio_dev(), "kubernetes:telemetry.istio.io/v1:Telemetry")["inputs"]
    chosen = telemetry["spec"]["tracing"][0]["providers"][0]["name"]
    provider = next(p for p in mesh_config["extensionProviders"] if p["name"] == chosen)
    assert provider["opentelemetry"] == {"service": OTEL_COLLECTOR_GRPC.host, "port": OTEL_COLLECTOR_GRPC.port}


def test_linkerd_tracing_endpoint_is_the_collectors(linkerd_dev: RenderResult) -> None:
    values = release(linkerd_dev, "linkerd-control-plane")["values"]
    assert (
        values["proxy"]["tracing"]["collector"]["endpoint"] == f"{OTEL_COLLECTOR_GRPC.host}:{OTEL_COLLECTOR_GRPC.port}"
    )


# prod hands every trace to the collector, whose tail sampling keeps every error and slow trace
@pytest.mark.parametrize(("stack", "percent"), [("dev", 100), ("staging", 10), ("prod", 100)])
def test_trace_sampling_differs_per_environment(stack: str, percent: int) -> None:
    telemetry = one(render(stack, "existing"), "kubernetes:telemetry.istio.io/v1:Telemetry")["inputs"]
    assert telemetry["spec"]["tracing"][0]["randomSamplingPercentage"] == percent


def test_control_plane_is_highly_available_in_prod_only() -> None:
    assert release(render("prod", "existing"), "istiod")["values"]["replicaCount"] >= 2
    assert release(render("dev", "existing"), "istiod")["values"]["replicaCount"] == 1


def test_gateway_autoscales_with_a_disruption_budget_in_prod_only() -> None:
    prod = release(render("prod", "existing"), "gateway")["values"]
    dev = release(render("dev", "existing"), "gateway")["values"]
    assert prod["autoscaling"]["enabled"] and prod["podDisruptionBudget"]
    assert not dev["autoscaling"]["enabled"] and not dev["podDisruptionBudget"]


def test_linkerd_control_plane_is_highly_available_in_prod_only(
    linkerd_dev: RenderResult, linkerd_prod: RenderResult
) -> None:
    assert release(linkerd_prod, "linkerd-control-plane")["values"]["controllerReplicas"] == 3
    assert release(linkerd_dev, "linkerd-control-plane")["values"]["controllerReplicas"] == 1


def test_gateway_waits_for_istiod_whose_webhook_injects_it() -> None:
    result = istio_dev()
    assert release_resource(result, "istiod")["urn"] in release_resource(result, "gateway")["dependencies"]


def test_istiod_waits_for_the_crds() -> None:
    result = istio_dev()
    assert release_resource(result, "base")["urn"] in release_resource(result, "istiod")["dependencies"]


def test_istio_cni_agent_installs_in_parallel_with_the_control_plane() -> None:
    result = istio_dev()
    releases = {r["urn"] for r in of_type(result, RELEASE)}
    assert not releases & set(release_resource(result, "cni")["dependencies"])


@pytest.mark.parametrize(
    "kind", ["kubernetes:security.istio.io/v1:PeerAuthentication", "kubernetes:telemetry.istio.io/v1:Telemetry"]
)
def test_mesh_wide_resources_wait_for_the_crds_only(kind: str) -> None:
    result = istio_dev()
    releases = {r["urn"] for r in of_type(result, RELEASE)}
    assert releases & set(one(result, kind)["dependencies"]) == {release_resource(result, "base")["urn"]}


def test_linkerd_control_plane_waits_for_crds_cni_and_identity(linkerd_dev: RenderResult) -> None:
    dependencies = set(release_resource(linkerd_dev, "linkerd-control-plane")["dependencies"])
    assert release_resource(linkerd_dev, "linkerd-crds")["urn"] in dependencies
    assert release_resource(linkerd_dev, "linkerd2-cni")["urn"] in dependencies
    assert one(linkerd_dev, CERTIFICATE, "identity-issuer")["urn"] in dependencies
    assert one(linkerd_dev, "kubernetes:core/v1:ConfigMap", "trust-roots")["urn"] in dependencies


def test_linkerd_identity_issuer_is_waited_for_until_cert_manager_has_issued_it(linkerd_dev: RenderResult) -> None:
    issuer = one(linkerd_dev, CERTIFICATE, "identity-issuer")
    assert issuer["inputs"]["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    anchor_issuer = one(linkerd_dev, "kubernetes:cert-manager.io/v1:Issuer", "trust-anchor-issuer")
    assert anchor_issuer["urn"] in issuer["dependencies"]
    cert_manager = next(r for r in of_type(linkerd_dev, RELEASE) if r["inputs"]["chart"] == "cert-manager")
    assert cert_manager["urn"] in anchor_issuer["dependencies"]


@pytest.mark.parametrize("provider", ["istio", "linkerd"])
def test_nothing_outside_the_mesh_waits_for_it_but_on_its_namespaces(provider: str, linkerd_dev: RenderResult) -> None:
    """A network policy in a mesh namespace needs that namespace; nothing waits for a mesh release."""
    result = istio_dev() if provider == "istio" else linkerd_dev
    mesh = {r["urn"] for r in result.resources if r["name"].startswith(MESH) and r["type"] != NAMESPACE}
    for r in result.resources:
        if not r["name"].startswith(MESH):
            assert not mesh & set(r["dependencies"]), r["name"]


def test_linkerd_issuer_secret_is_cert_managers_not_pulumis(linkerd_dev: RenderResult) -> None:
    secrets = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in of_type(linkerd_dev, "kubernetes:core/v1:Secret")}
    assert "linkerd-identity-issuer" not in secrets
    anchor = secrets["linkerd-trust-anchor"]
    assert anchor["type"] == "kubernetes.io/tls"
    assert anchor["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}


def test_linkerd_identity_issuer_is_an_intermediate_ca_from_the_trust_anchor(linkerd_dev: RenderResult) -> None:
    spec = one(linkerd_dev, CERTIFICATE, "identity-issuer")["inputs"]["spec"]
    assert spec["secretName"] == "linkerd-identity-issuer" and spec["isCA"] is True
    assert spec["issuerRef"] == {"group": "cert-manager.io", "kind": "Issuer", "name": "linkerd-trust-anchor"}
    assert {"cert sign", "crl sign"} <= set(spec["usages"])


@pytest.mark.parametrize("provider", ["istio", "linkerd"])
def test_no_key_or_secret_reaches_helm_values(provider: str, linkerd_dev: RenderResult) -> None:
    result = istio_dev() if provider == "istio" else linkerd_dev
    values = json.dumps([r["inputs"]["values"] for r in of_type(result, RELEASE)])
    assert "[secret]" not in values and "PRIVATE KEY" not in values


def test_linkerd_trust_roots_carry_the_trust_anchor_certificate(linkerd_dev: RenderResult) -> None:
    roots = one(linkerd_dev, "kubernetes:core/v1:ConfigMap", "trust-roots")["inputs"]
    assert roots["metadata"]["name"] == "linkerd-identity-trust-roots"
    assert roots["data"]["ca-bundle.crt"].startswith("-----BEGIN CERTIFICATE-----")


def test_linkerd_trust_anchor_is_protected_in_prod_only(linkerd_dev: RenderResult, linkerd_prod: RenderResult) -> None:
    def protected(result: RenderResult) -> set[str]:
        return {r["name"] for r in result.resources if r["type"].startswith("tls:") and r["protect"]}

    assert protected(linkerd_prod) == {f"{MESH}-trust-anchor-key", f"{MESH}-trust-anchor"}
    assert protected(linkerd_dev) == set()


@pytest.mark.parametrize("provider", ["istio", "linkerd"])
def test_every_mesh_chart_is_pinned(provider: str, linkerd_dev: RenderResult) -> None:
    result = istio_dev() if provider == "istio" else linkerd_dev
    versions = [r["inputs"]["version"] for r in of_type(result, RELEASE)]
    assert versions and all(v and v != "latest" for v in versions)


def test_render_is_deterministic_for_linkerd_certificates(tmp_path: Path, linkerd_dev: RenderResult) -> None:
    again = render_with("dev", tmp_path, {"mesh": {"provider": "linkerd"}}, cloud="existing")
    assert again.resources == linkerd_dev.resources
