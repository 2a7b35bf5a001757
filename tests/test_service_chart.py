"""charts/service rendered with the real Helm engine for every service in every stack, with the
values the ApplicationSet layers and passes (store_platform_tools.service_chart)."""

from __future__ import annotations

import functools
import math
from typing import Any

import helm_python
import kubernetes_validate
import pytest

from components.addresses import OTEL_COLLECTOR_GRPC, PROMETHEUS, SERVICES_NAMESPACE
from components.config import SERVICES
from components.config.defaults import defaults_for
from components.mesh.istio import INGRESS_GATEWAY_SELECTOR
from components.mesh.metrics import request_metrics
from store_platform_tools import service_chart
from store_platform_tools.checkov_chart import as_scanned
from tests.rendering import ROOT

STACKS = (*service_chart.SHIPPED_ENVIRONMENTS, "local")
MESHES = ("istio", "linkerd")
CORE_GROUPS = {"v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"}


@functools.cache
def values_for(stack: str, service: str, mesh: str | None = None) -> dict[str, Any]:
    config = service_chart.stack_config(ROOT, stack)
    passed = service_chart.passed_values(config, service)
    if mesh:
        passed["mesh"] = mesh
    return service_chart.layered_values(service, config.environment, passed)


@functools.cache
def _rendered(stack: str, service: str, mesh: str | None = None) -> tuple[dict[str, Any], ...]:
    return tuple(service_chart.render(values_for(stack, service, mesh)))


def rendered(stack: str, service: str, mesh: str | None = None) -> list[dict[str, Any]]:
    return list(_rendered(stack, service, mesh))


def render_changed(stack: str, service: str, change: dict[str, Any]) -> list[dict[str, Any]]:
    from components.config.defaults import deep_merge

    return service_chart.render(deep_merge(values_for(stack, service), change))


def the(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objects}


def pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = the(objects, "Rollout")["spec"]["template"]["spec"]
    return spec


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (only,) = pod_spec(objects)["containers"]
    result: dict[str, Any] = only
    return result


def metric(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [m for m in the(objects, "AnalysisTemplate")["spec"]["metrics"] if m["name"] == name]
    result: dict[str, Any] = found
    return result


def holds(condition: str, result: list[float]) -> bool:
    """An Argo Rollouts (expr) condition evaluated on a Prometheus result: the conditions use
    only len(), indexing, comparisons, && and ||, which mean the same in Python."""
    python = condition.replace("&&", " and ").replace("||", " or ")
    return bool(eval(python, {"__builtins__": {}}, {"len": len, "result": result}))


# --- every service x stack x mesh ---------------------------------------------------------


@pytest.mark.parametrize("mesh", MESHES)
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("stack", STACKS)
def test_service_deploys_as_a_rollout_with_its_analysis(stack: str, service: str, mesh: str) -> None:
    objects = rendered(stack, service, mesh)
    assert {"Rollout", "AnalysisTemplate", "Service", "ServiceAccount", "HorizontalPodAutoscaler"} <= kinds(objects)
    assert {"PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor"} <= kinds(objects)
    assert "Deployment" not in kinds(objects)


@pytest.mark.parametrize("mesh", MESHES)
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("stack", STACKS)
def test_core_objects_are_valid_for_kubernetes_1_33(stack: str, service: str, mesh: str) -> None:
    objects = rendered(stack, service, mesh)
    # The Rollout's pod template is validated as the Deployment's it is equivalent to.
    core = [o for o in map(as_scanned, objects) if o["apiVersion"] in CORE_GROUPS]
    assert len(core) >= 6
    for obj in core:
        kubernetes_validate.validate(obj, "1.33", strict=True)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("stack", service_chart.SHIPPED_ENVIRONMENTS)
def test_helm_lint_strict_is_clean(stack: str, service: str) -> None:
    report = helm_python.lint(
        service_chart.CHART,
        values_for(stack, service),
        strict=True,
        namespace=SERVICES_NAMESPACE,
        kube_version="v1.33.0",
    )
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_object_is_in_the_services_namespace(service: str) -> None:
    assert {o["metadata"]["namespace"] for o in rendered("prod", service)} == {SERVICES_NAMESPACE}


# --- canary ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "pause"), [("dev", "30s"), ("staging", "2m"), ("prod", "5m")])
def test_canary_steps_through_10_25_50_with_a_pause_and_an_analysis_each(stack: str, pause: str) -> None:
    steps = the(rendered(stack, "sales"), "Rollout")["spec"]["strategy"]["canary"]["steps"]
    analysis = {
        "templates": [{"templateName": "sales-slo"}],
        "args": [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}],
    }
    expected = []
    for weight in (10, 25, 50):
        expected += [{"setWeight": weight}, {"pause": {"duration": pause}}, {"analysis": analysis}]
    assert steps == expected


def test_istio_canary_moves_the_virtual_service_weights_between_stable_and_canary_services() -> None:
    objects = rendered("prod", "inventory", "istio")
    canary = the(objects, "Rollout")["spec"]["strategy"]["canary"]
    assert (canary["stableService"], canary["canaryService"]) == ("inventory-stable", "inventory-canary")
    assert canary["trafficRouting"]["istio"]["virtualServices"] == [{"name": "inventory", "routes": ["primary"]}]
    assert canary["abortScaleDownDelaySeconds"] == 300
    (route,) = the(objects, "VirtualService", "inventory")["spec"]["http"]
    assert route["name"] == "primary"
    assert [(d["destination"]["host"], d["weight"]) for d in route["route"]] == [
        ("inventory-stable.store.svc.cluster.local", 100),
        ("inventory-canary.store.svc.cluster.local", 0),
    ]
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "Service"} == {
        "inventory",
        "inventory-stable",
        "inventory-canary",
    }


def test_linkerd_canary_splits_by_replicas_without_istio_objects() -> None:
    objects = rendered("prod", "inventory", "linkerd")
    canary = the(objects, "Rollout")["spec"]["strategy"]["canary"]
    assert "trafficRouting" not in canary
    assert "abortScaleDownDelaySeconds" not in canary  # Argo Rollouts allows it only with traffic routing
    assert not {o["apiVersion"] for o in objects if o["apiVersion"].startswith("networking.istio.io")}
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Service"] == ["inventory"]


def test_canary_pods_prefer_other_nodes_than_the_stable_ones() -> None:
    canary = the(rendered("prod", "auth"), "Rollout")["spec"]["strategy"]["canary"]
    assert canary["antiAffinity"] == {"preferredDuringSchedulingIgnoredDuringExecution": {"weight": 100}}


# --- SLO analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize("mesh", MESHES)
@pytest.mark.parametrize("service", SERVICES)
def test_analysis_queries_the_canary_pods_in_the_meshs_request_metrics(service: str, mesh: str) -> None:
    objects = rendered("prod", service, mesh)
    metrics = request_metrics(mesh)
    canary = f',pod=~"{service}-{{{{args.canary-hash}}}}-.*"}}'
    success_rate = metric(objects, "success-rate")["provider"]["prometheus"]["query"]
    latency = metric(objects, "latency-p95")["provider"]["prometheus"]["query"]
    assert metrics.errors(service)[:-1] + canary + "[2m]" in success_rate
    assert metrics.requests(service)[:-1] + canary + "[2m]" in success_rate
    assert metrics.duration_buckets(service)[:-1] + canary + "[2m]" in latency
    assert the(objects, "AnalysisTemplate")["spec"]["args"] == [{"name": "canary-hash"}]


@pytest.mark.parametrize(("service", "availability", "latency"), [("sales", 99.5, 450), ("auth", 99.95, 120)])
def test_analysis_thresholds_are_the_services_slos(service: str, availability: float, latency: int) -> None:
    objects = render_changed("prod", service, {"slo": {"availability": availability, "latencyP95Ms": latency}})
    success_rate, p95 = metric(objects, "success-rate"), metric(objects, "latency-p95")
    assert holds(success_rate["successCondition"], [availability])
    assert not holds(success_rate["failureCondition"], [availability])
    assert holds(success_rate["failureCondition"], [availability - 0.01])
    assert holds(p95["successCondition"], [latency])
    assert not holds(p95["failureCondition"], [latency])
    assert holds(p95["failureCondition"], [latency + 1])


def test_default_slo_is_passed_from_the_stack_config() -> None:
    slo = defaults_for("prod")["services"]["gateway"]["slo"]
    success_rate = metric(rendered("prod", "gateway"), "success-rate")
    assert success_rate["failureCondition"] == f"len(result) > 0 && result[0] < {slo['availability']}"


@pytest.mark.parametrize("name", ["success-rate", "latency-p95"])
@pytest.mark.parametrize("result", [[], [math.nan]], ids=["empty", "nan"])
def test_prod_analysis_neither_passes_nor_fails_without_a_measurement(name: str, result: list[float]) -> None:
    measured = metric(rendered("prod", "sales"), name)
    assert not holds(measured["successCondition"], result)
    assert not holds(measured["failureCondition"], result)  # inconclusive: the Rollout pauses


def test_dev_analysis_passes_a_canary_that_received_no_requests() -> None:
    measured = metric(rendered("dev", "sales"), "success-rate")
    assert holds(measured["successCondition"], [])
    assert not holds(measured["successCondition"], [math.nan])


def test_queries_return_nothing_rather_than_nan_without_traffic() -> None:
    objects = rendered("prod", "sales")
    for name in ("success-rate", "latency-p95"):
        query = metric(objects, name)["provider"]["prometheus"]["query"]
        assert "[2m])) > 0)" in query  # only series with a non-zero request rate are kept


@pytest.mark.parametrize(
    ("stack", "interval", "count", "failure_limit"),
    [("dev", "30s", 2, 1), ("staging", "1m", 3, 1), ("prod", "1m", 5, 1)],
)
def test_analysis_cadence_per_environment(stack: str, interval: str, count: int, failure_limit: int) -> None:
    for name in ("success-rate", "latency-p95"):
        measured = metric(rendered(stack, "attendance"), name)
        assert (measured["interval"], measured["count"], measured["failureLimit"]) == (interval, count, failure_limit)


def test_analysis_asks_the_platforms_prometheus() -> None:
    assert metric(rendered("staging", "auth"), "latency-p95")["provider"]["prometheus"]["address"] == PROMETHEUS.url


# --- pods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_pods_run_as_restricted_non_root(service: str) -> None:
    objects = rendered("prod", service)
    pod = pod_spec(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    security = container(objects)["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("service", SERVICES)
def test_pods_have_startup_liveness_and_readiness_probes_on_the_http_port(service: str) -> None:
    main = container(rendered("staging", service))
    assert main["startupProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert main["startupProbe"]["failureThreshold"] * main["startupProbe"]["periodSeconds"] == 60
    assert main["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


@pytest.mark.parametrize("service", SERVICES)
def test_pods_have_requests_and_limits(service: str) -> None:
    resources = container(rendered("dev", service))["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize("service", SERVICES)
def test_pods_carry_the_labels_gatekeeper_requires(service: str) -> None:
    labels = the(rendered("prod", service), "Rollout")["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == service
    assert labels["team"] == defaults_for("prod")["services"][service]["team"]


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_pinned_under_the_registry_and_prefix(service: str) -> None:
    assert container(rendered("prod", service))["image"] == f"ghcr.io/acme/store-management-{service}:1.0.0"


def test_image_digest_pins_the_exact_image() -> None:
    digest = "sha256:" + "ab" * 32
    objects = render_changed("prod", "sales", {"image": {"digest": digest, "org": "other"}})
    assert container(objects)["image"] == f"ghcr.io/other/store-management-sales:1.0.0@{digest}"


def test_telemetry_goes_to_the_collector_with_service_and_environment() -> None:
    env = {e["name"]: e.get("value") for e in container(rendered("staging", "notification"))["env"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == OTEL_COLLECTOR_GRPC.url
    assert env["OTEL_SERVICE_NAME"] == "notification"
    attributes = dict(a.split("=", 1) for a in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    assert attributes["deployment.environment.name"] == "staging"
    assert attributes["service.version"] == "1.0.0"
    assert (env["LOG_FORMAT"], env["LOG_LEVEL"]) == ("json", "info")


@pytest.mark.parametrize(("stack", "spread"), [("dev", "ScheduleAnyway"), ("prod", "DoNotSchedule")])
def test_pods_spread_over_zones(stack: str, spread: str) -> None:
    (constraint,) = pod_spec(rendered(stack, "gateway"))["topologySpreadConstraints"]
    assert (constraint["topologyKey"], constraint["whenUnsatisfiable"]) == ("topology.kubernetes.io/zone", spread)


@pytest.mark.parametrize(
    ("mesh", "annotation"),
    [("istio", "traffic.sidecar.istio.io/excludeInboundPorts"), ("linkerd", "config.linkerd.io/skip-inbound-ports")],
)
def test_metrics_port_is_scraped_outside_the_mesh(mesh: str, annotation: str) -> None:
    objects = rendered("prod", "auth", mesh)
    assert the(objects, "Rollout")["spec"]["template"]["metadata"]["annotations"][annotation] == "9090"
    endpoint = the(objects, "ServiceMonitor")["spec"]["endpoints"][0]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")


# --- around the pods ------------------------------------------------------------------------


def test_network_policy_allows_exactly_the_declared_calls() -> None:
    policy = the(rendered("prod", "sales"), "NetworkPolicy")["spec"]
    (ingress,) = policy["ingress"]
    (egress,) = policy["egress"]
    assert ingress["from"][0]["podSelector"]["matchExpressions"][0]["values"] == ["gateway"]
    assert egress["to"][0]["podSelector"]["matchExpressions"][0]["values"] == ["auth", "inventory", "notification"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}


def test_network_policy_of_a_service_nobody_calls_admits_no_service() -> None:
    policy = the(rendered("prod", "gateway"), "NetworkPolicy")["spec"]
    assert policy["ingress"] == []


def test_gateway_is_exposed_through_the_ingress_gateway_with_tls_in_prod() -> None:
    objects = rendered("prod", "gateway")
    gateway = the(objects, "Gateway", "gateway-public")["spec"]
    assert gateway["selector"] == INGRESS_GATEWAY_SELECTOR  # the labels the gateway chart gives its pods
    assert {s["port"]["number"] for s in gateway["servers"]} == {80, 443}
    virtual_service = the(objects, "VirtualService", "gateway")["spec"]
    assert "store.acme.example" in virtual_service["hosts"]
    assert virtual_service["gateways"] == ["mesh", "store/gateway-public"]


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "gateway"])
def test_only_the_gateway_is_public(service: str) -> None:
    objects = rendered("prod", service)
    assert "Gateway" not in kinds(objects)
    assert the(objects, "VirtualService")["spec"]["gateways"] == ["mesh"]


def test_external_secret_maps_each_secret_variable_to_the_services_secret() -> None:
    objects = rendered("staging", "auth")
    spec = the(objects, "ExternalSecret", "auth")["spec"]
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "store-secrets"}
    assert [(d["secretKey"], d["remoteRef"]["key"]) for d in spec["data"]] == [
        ("DATABASE_URL", "store/staging/auth"),
        ("JWT_SIGNING_KEY", "store/staging/auth"),
    ]
    assert container(objects)["envFrom"] == [{"secretRef": {"name": spec["target"]["name"]}}]


def test_a_service_without_secrets_has_no_external_secret() -> None:
    objects = rendered("prod", "gateway")
    assert "ExternalSecret" not in kinds(objects)
    assert "envFrom" not in container(objects)


def test_service_account_carries_the_workload_identity_annotation() -> None:
    annotation = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/sales"}
    account = the(render_changed("prod", "sales", {"serviceAccount": {"annotations": annotation}}), "ServiceAccount")
    assert account["metadata"]["annotations"] == annotation
    assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize(("stack", "least", "most"), [("dev", 1, 2), ("prod", 3, 10)])
def test_autoscaler_scales_the_rollout_per_environment(stack: str, least: int, most: int) -> None:
    objects = rendered(stack, "attendance")
    hpa = the(objects, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "attendance"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (least, most)
    assert "replicas" not in the(objects, "Rollout")["spec"]  # the autoscaler owns the count


def test_disruption_budget_covers_the_services_pods() -> None:
    objects = rendered("prod", "attendance")
    budget = the(objects, "PodDisruptionBudget")["spec"]
    assert budget["selector"]["matchLabels"] == the(objects, "Rollout")["spec"]["selector"]["matchLabels"]
    assert budget["maxUnavailable"] == 1
