"""The mesh's Helm values and mesh-wide resources, as pure functions of config."""

from __future__ import annotations

from typing import Any

import pytest

from components.addresses import OTEL_COLLECTOR_GRPC
from components.catalogue import CATALOGUE
from components.cluster import SYSTEM_POOL_TAINT, Placement
from components.config import ConfigError, PlatformConfig, load_config
from components.mesh import istio, linkerd

SYSTEM = Placement(node_selector={"store-platform/pool": "system"}, tolerations=[SYSTEM_POOL_TAINT])


def config(environment: str, **platform: Any) -> PlatformConfig:
    return load_config(
        {"environment": environment, "cloud": "existing", "cluster": {"kubeContext": "kind-store"}, **platform},
        environment,
    )


@pytest.mark.parametrize("environment", ["dev", "staging", "local"])
def test_istiod_runs_one_replica_without_disruption_budget_outside_prod(environment: str) -> None:
    values = istio.istiod_values(config(environment), SYSTEM)
    assert (values["replicaCount"], values["autoscaleEnabled"]) == (1, False)
    assert values["global"]["defaultPodDisruptionBudget"] == {"enabled": False}


def test_istiod_is_highly_available_in_prod() -> None:
    values = istio.istiod_values(config("prod"), SYSTEM)
    assert values["replicaCount"] >= 2 and values["autoscaleEnabled"] and values["autoscaleMin"] >= 2
    assert values["global"]["defaultPodDisruptionBudget"] == {"enabled": True}
    assert values["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_istio_injection_relies_on_the_cni_agent_not_istio_init() -> None:
    assert istio.istiod_values(config("dev"), SYSTEM)["cni"] == {"enabled": True}


def test_injected_sidecars_carry_a_seccomp_profile_for_restricted_namespaces() -> None:
    assert istio.istiod_values(config("dev"), SYSTEM)["global"]["proxy"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_istio_images_are_pinned_to_the_catalogue_release() -> None:
    istiod = istio.istiod_values(config("dev"), SYSTEM)["global"]
    cni = istio.cni_values(config("dev"))["global"]
    assert istiod["tag"] == CATALOGUE["istiod"].version != "latest"
    assert cni["tag"] == CATALOGUE["istio-cni"].version != "latest"


def test_istio_images_follow_a_stack_chart_override() -> None:
    overridden = config("dev", charts={"istiod": {"version": "1.30.4"}})
    assert istio.istiod_values(overridden, SYSTEM)["global"]["tag"] == "1.30.4"


def test_tracing_provider_points_at_the_collector() -> None:
    providers = istio.mesh_config()["extensionProviders"]
    tracing = next(p for p in providers if p["name"] == istio.TRACING_PROVIDER)
    assert tracing["opentelemetry"] == {"service": OTEL_COLLECTOR_GRPC.host, "port": OTEL_COLLECTOR_GRPC.port}


def test_access_logs_are_json_on_stdout() -> None:
    providers = istio.mesh_config()["extensionProviders"]
    access_log = next(p for p in providers if p["name"] == istio.ACCESS_LOG_PROVIDER)["envoyFileAccessLog"]
    assert access_log["path"] == "/dev/stdout"
    # `labels` is Istio's JSON log format (text would be `text`); the trace id links logs to traces.
    assert set(access_log["logFormat"]) == {"labels"} and "traceparent" in access_log["logFormat"]["labels"]


def test_telemetry_selects_the_declared_providers() -> None:
    spec = istio.telemetry_spec(config("dev"))
    declared = {p["name"] for p in istio.mesh_config()["extensionProviders"]}
    used = {p["name"] for rule in spec["tracing"] + spec["accessLogging"] for p in rule["providers"]}
    assert used == declared


@pytest.mark.parametrize(("environment", "percent"), [("dev", 100), ("local", 100), ("staging", 10), ("prod", 100)])
def test_trace_sampling_defaults_per_environment(environment: str, percent: float) -> None:
    spec = istio.telemetry_spec(config(environment))
    assert spec["tracing"][0]["randomSamplingPercentage"] == percent


def test_trace_sampling_follows_the_stack_file() -> None:
    spec = istio.telemetry_spec(config("staging", mesh={"tracingSamplingPercent": 5}))
    assert spec["tracing"][0]["randomSamplingPercentage"] == 5


def test_head_sampling_below_all_is_refused_where_the_collector_tail_samples() -> None:
    """Prod's collector keeps every error and slow trace; the proxies must hand it all of them."""
    with pytest.raises(ConfigError) as error:
        config("prod", mesh={"tracingSamplingPercent": 1})
    assert [p.path for p in error.value.problems] == ["platform.mesh.tracingSamplingPercent"]


def test_trace_sampling_above_one_hundred_percent_is_rejected() -> None:
    with pytest.raises(ConfigError) as error:
        config("dev", mesh={"tracingSamplingPercent": 150})
    assert [p.path for p in error.value.problems] == ["platform.mesh.tracingSamplingPercent"]


def test_mtls_is_strict() -> None:
    assert istio.peer_authentication_spec() == {"mtls": {"mode": "STRICT"}}


def test_gateway_has_autoscaling_and_a_disruption_budget_in_prod() -> None:
    values = istio.gateway_values(config("prod"), SYSTEM, {})
    assert values["autoscaling"]["enabled"] and values["autoscaling"]["minReplicas"] >= 2
    assert "replicaCount" not in values  # the HPA owns the replica count
    assert values["podDisruptionBudget"] == {"minAvailable": 1}


@pytest.mark.parametrize("environment", ["dev", "staging", "local"])
def test_gateway_is_a_single_pod_without_budget_outside_prod(environment: str) -> None:
    values = istio.gateway_values(config(environment), SYSTEM, {})
    assert (values["replicaCount"], values["autoscaling"]["enabled"], values["podDisruptionBudget"]) == (1, False, {})


def test_gateway_service_is_a_load_balancer_with_the_clouds_annotations() -> None:
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
    service = istio.gateway_values(config("dev"), SYSTEM, annotations)["service"]
    assert (service["type"], service["annotations"]) == ("LoadBalancer", annotations)


def test_gateway_pods_meet_restricted_pod_security() -> None:
    context = istio.gateway_values(config("dev"), SYSTEM, {})["securityContext"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]


@pytest.mark.parametrize(
    "values",
    [
        lambda: istio.istiod_values(config("dev"), SYSTEM),
        lambda: istio.gateway_values(config("dev"), SYSTEM, {}),
        lambda: linkerd.control_plane_values(config("dev"), SYSTEM),
    ],
    ids=["istiod", "istio-gateway", "linkerd-control-plane"],
)
def test_control_planes_and_gateway_run_on_the_system_pool(values: Any) -> None:
    rendered = values()
    assert (rendered["nodeSelector"], rendered["tolerations"]) == (SYSTEM.node_selector, SYSTEM.tolerations)


def on_gcp() -> PlatformConfig:
    return load_config({"environment": "dev", "cloud": "gcp"}, "dev")


def test_istio_cni_takes_the_gke_platform_profile_only_on_gcp() -> None:
    assert istio.cni_values(on_gcp())["global"]["platform"] == "gke"
    assert "platform" not in istio.cni_values(config("dev"))["global"]


def test_linkerd_cni_installs_into_gkes_binary_directory_only_on_gcp() -> None:
    assert linkerd.cni_values(on_gcp()) == {"destCNIBinDir": "/home/kubernetes/bin"}
    assert linkerd.cni_values(config("dev")) == {}


def test_istio_cni_agent_tolerates_every_taint() -> None:
    assert istio.cni_values(config("dev"))["tolerations"] == [{"operator": "Exists"}]


def test_linkerd_identity_comes_from_an_external_secret_not_values() -> None:
    values = linkerd.control_plane_values(config("dev"), SYSTEM)
    assert values["identity"] == {"externalCA": True, "issuer": {"scheme": "kubernetes.io/tls"}}
    assert "identityTrustAnchorsPEM" not in values


def test_linkerd_uses_its_cni_plugin() -> None:
    assert linkerd.control_plane_values(config("dev"), SYSTEM)["cniEnabled"] is True


def test_linkerd_is_highly_available_only_in_prod() -> None:
    prod = linkerd.control_plane_values(config("prod"), SYSTEM)
    dev = linkerd.control_plane_values(config("dev"), SYSTEM)
    assert (prod["controllerReplicas"], prod["enablePodDisruptionBudget"], prod["enablePodAntiAffinity"]) == (
        3,
        True,
        True,
    )
    assert (dev["controllerReplicas"], dev["enablePodDisruptionBudget"], dev["enablePodAntiAffinity"]) == (
        1,
        False,
        False,
    )


def test_linkerd_proxies_and_controllers_send_traces_to_the_collector() -> None:
    values = linkerd.control_plane_values(config("dev"), SYSTEM)
    endpoint = f"{OTEL_COLLECTOR_GRPC.host}:{OTEL_COLLECTOR_GRPC.port}"
    identity = {"serviceAccountName": "otel-collector", "namespace": OTEL_COLLECTOR_GRPC.namespace}
    assert values["proxy"]["tracing"] == {
        "enabled": True,
        "collector": {"endpoint": endpoint, "meshIdentity": identity},  # the chart refuses proxy tracing without it
    }
    assert values["controller"]["tracing"] == {"enabled": True, "collector": {"endpoint": endpoint}}
