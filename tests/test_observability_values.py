"""The observability charts' values, as pure functions of config (no Pulumi engine)."""

from __future__ import annotations

import re

import pulumi
import pytest

from components.addresses import LOKI, OTEL_COLLECTOR_GRPC, OTEL_COLLECTOR_HTTP, PROMETHEUS, PROMETHEUS_STATEFULSET
from components.cluster import SYSTEM_POOL_TAINT, Bucket, Placement
from components.config import load_config
from components.observability.alerting import AvailableReceivers
from components.observability.collector import agent_config, agent_values, gateway_config, gateway_values
from components.observability.loki import loki_values
from components.observability.prometheus import high_cardinality_relabelings, kube_prometheus_stack_values
from components.observability.slo import sloth_values
from components.observability.tracing import jaeger_values, tempo_values

SYSTEM = Placement(node_selector={"store-platform/pool": "system"}, tolerations=[dict(SYSTEM_POOL_TAINT)])
BOTH = AvailableReceivers(slack=True, pagerduty=True)


def _cfg(environment: str, **platform):
    return load_config({"cloud": "aws", **platform}, environment)


def _stack(environment: str, managed: bool = True):
    return kube_prometheus_stack_values(_cfg(environment), SYSTEM, "gp3", BOTH, "monitoring-agents", managed)


def _bucket(kind: str) -> Bucket:
    account = pulumi.Output.from_input("acct") if kind == "azure" else None
    return Bucket(kind=kind, name=pulumi.Output.from_input("logs-bucket"), region="us-east-1", account=account)


# --- Prometheus -------------------------------------------------------------------------------


@pytest.mark.parametrize(("environment", "replicas"), [("dev", 1), ("staging", 1), ("prod", 2)])
def test_prometheus_is_ha_only_in_prod(environment, replicas):
    assert _stack(environment)["prometheus"]["prometheusSpec"]["replicas"] == replicas


@pytest.mark.parametrize(("environment", "days"), [("dev", "7d"), ("staging", "15d"), ("prod", "30d")])
def test_prometheus_retention_follows_the_environment(environment, days):
    assert _stack(environment)["prometheus"]["prometheusSpec"]["retention"] == days


def test_prometheus_keeps_its_data_on_a_volume_of_the_clusters_storage_class():
    spec = _stack("prod")["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert spec["storageClassName"] == "gp3"
    assert spec["resources"]["requests"]["storage"] == "100Gi"


def test_prometheus_selects_monitors_and_rules_of_every_release():
    spec = _stack("dev")["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False


def test_alertmanager_is_ha_only_in_prod():
    assert _stack("prod")["alertmanager"]["alertmanagerSpec"]["replicas"] == 2
    assert _stack("dev")["alertmanager"]["alertmanagerSpec"]["replicas"] == 1


def test_stack_leaves_the_crds_to_their_own_release():
    assert _stack("dev")["crds"] == {"enabled": False}


def _dropped(name: str, le: str | None = None) -> bool:
    for rule in high_cardinality_relabelings():
        value = ";".join([name, le or ""][: len(rule["sourceLabels"])])
        if re.fullmatch(rule["regex"], value):
            return True
    return False


@pytest.mark.parametrize("family", ["etcd_request_duration_seconds_bucket", "apiserver_response_sizes_bucket"])
def test_high_cardinality_histograms_are_dropped(family):
    assert _dropped(family, "0.5")


def test_request_latency_buckets_are_thinned_not_dropped():
    assert _dropped("apiserver_request_duration_seconds_bucket", "0.8")
    assert not _dropped("apiserver_request_duration_seconds_bucket", "1")
    assert not _dropped("apiserver_request_sli_duration_seconds_bucket", "5.0")


def test_other_metrics_are_kept():
    assert not _dropped("apiserver_request_total")


def test_control_plane_scrapes_only_where_the_control_plane_is_reachable():
    assert _stack("dev", managed=True)["kubeEtcd"]["enabled"] is False
    assert _stack("dev", managed=False)["kubeScheduler"]["enabled"] is True


# --- Placement --------------------------------------------------------------------------------


def test_stack_pods_run_on_the_system_pool():
    values = _stack("dev")
    for placed in (
        values["prometheus"]["prometheusSpec"],
        values["alertmanager"]["alertmanagerSpec"],
        values["prometheusOperator"],
        values["kube-state-metrics"],
        values["grafana"],
    ):
        assert placed["nodeSelector"] == SYSTEM.node_selector
        assert placed["tolerations"] == SYSTEM.tolerations


def test_node_agents_run_on_every_node():
    exporter = _stack("dev")["prometheus-node-exporter"]
    agent = agent_values(_cfg("dev"))
    for daemon in (exporter, agent):
        assert "nodeSelector" not in daemon
        assert daemon["tolerations"][0]["key"] == SYSTEM_POOL_TAINT["key"]


# --- Loki -------------------------------------------------------------------------------------


def test_loki_without_a_bucket_is_a_single_binary_on_the_filesystem():
    values = loki_values(_cfg("dev"), SYSTEM, "gp3", None, {}, {})
    assert values["deploymentMode"] == "Monolithic"
    assert values["loki"]["storage"] == {"type": "filesystem"}
    assert values["singleBinary"]["replicas"] == 1
    assert values["loki"]["schemaConfig"]["configs"][0]["object_store"] == "filesystem"


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure"])
def test_loki_with_a_bucket_is_distributed_on_it(kind):
    bucket = _bucket(kind)
    values = loki_values(_cfg("prod"), SYSTEM, "gp3", bucket, {}, {})
    assert values["deploymentMode"] == "Distributed"
    assert values["loki"]["storage"]["type"] == kind
    assert values["loki"]["storage"]["bucketNames"]["chunks"] is bucket.name
    assert values["loki"]["schemaConfig"]["configs"][0]["object_store"] == kind


def test_loki_on_azure_uses_the_federated_token_not_a_key():
    azure = loki_values(_cfg("prod"), SYSTEM, "gp3", _bucket("azure"), {}, {})["loki"]["storage"]["azure"]
    assert azure["useFederatedToken"] is True
    assert "accountKey" not in azure


@pytest.mark.parametrize("bucket", [None, "s3"])
def test_loki_runs_exactly_one_deployment_mode(bucket):
    # The chart's validate.yaml fails a release with replicas in two modes at once.
    values = loki_values(_cfg("prod"), SYSTEM, "gp3", _bucket(bucket) if bucket else None, {}, {})
    scalable = sum(values[t]["replicas"] for t in ("read", "write", "backend"))
    distributed = sum(values.get(t, {}).get("replicas", 0) for t in ("distributor", "ingester", "querier", "compactor"))
    monolithic = values["singleBinary"]["replicas"]
    assert scalable == 0
    assert (monolithic > 0) != (distributed > 0)


def test_loki_service_account_carries_the_workload_identity():
    annotations = pulumi.Output.from_input({"eks.amazonaws.com/role-arn": "arn"})
    pod_labels = {"azure.workload.identity/use": "true"}
    values = loki_values(_cfg("prod"), SYSTEM, "gp3", _bucket("s3"), annotations, pod_labels)
    assert values["serviceAccount"]["annotations"] is annotations
    assert values["loki"]["podLabels"] == pod_labels


def test_loki_ingesters_replicate_three_ways_in_prod():
    values = loki_values(_cfg("prod"), SYSTEM, "gp3", _bucket("s3"), {}, {})
    assert values["ingester"]["replicas"] == 3
    assert values["loki"]["commonConfig"]["replication_factor"] == 3


def test_loki_retention_follows_the_environment():
    values = loki_values(_cfg("staging"), SYSTEM, "gp3", None, {}, {})
    assert values["loki"]["limits_config"]["retention_period"] == "360h"
    assert values["loki"]["compactor"]["retention_enabled"] is True


def test_loki_gateway_is_the_published_address():
    assert f"{loki_values(_cfg('dev'), SYSTEM, 'gp3', None, {}, {})['fullnameOverride']}-gateway" == LOKI.service


# --- Tempo ------------------------------------------------------------------------------------


def test_tempo_without_a_bucket_stores_traces_locally():
    values = tempo_values(_cfg("dev"), SYSTEM, "gp3", None, {}, {})
    assert values["tempo"]["storage"]["trace"]["backend"] == "local"


def test_tempo_on_s3_uses_the_bucket_and_no_keys():
    bucket = _bucket("s3")
    trace = tempo_values(_cfg("prod"), SYSTEM, "gp3", bucket, {}, {})["tempo"]["storage"]["trace"]
    assert trace["backend"] == "s3"
    assert trace["s3"]["bucket"] is bucket.name
    assert not {"access_key", "secret_key"} & set(trace["s3"])


def test_tempo_writes_service_graphs_to_prometheus():
    generator = tempo_values(_cfg("dev"), SYSTEM, "gp3", None, {}, {})["tempo"]["metricsGenerator"]
    assert generator["enabled"] is True
    assert [w["url"] for w in generator["storage"]["remote_write"]] == [
        f"http://{PROMETHEUS_STATEFULSET}-0.{PROMETHEUS.host}:9090/api/v1/write"
    ]


def test_tempo_writes_to_each_prometheus_replica_in_prod():
    """Through the Service each series would reach one of prod's two replicas only."""
    generator = tempo_values(_cfg("prod"), SYSTEM, "gp3", None, {}, {})["tempo"]["metricsGenerator"]
    hosts = [w["url"].split("/")[2] for w in generator["storage"]["remote_write"]]
    assert hosts == [f"{PROMETHEUS_STATEFULSET}-{i}.{PROMETHEUS.host}:9090" for i in (0, 1)]


def test_collector_pushes_metrics_to_each_prometheus_replica_in_prod():
    config = gateway_config(_cfg("prod"), "tempo:4317")
    exporters = config["service"]["pipelines"]["metrics"]["exporters"]
    endpoints = sorted(config["exporters"][e]["metrics_endpoint"] for e in exporters)
    assert endpoints == [
        f"http://{PROMETHEUS_STATEFULSET}-{i}.{PROMETHEUS.host}:9090/api/v1/otlp/v1/metrics" for i in (0, 1)
    ]


# --- Collectors -------------------------------------------------------------------------------


def test_gateway_service_is_the_address_the_mesh_uses():
    values = gateway_values(_cfg("dev"), SYSTEM, "tempo:4317")
    assert values["fullnameOverride"] == OTEL_COLLECTOR_GRPC.service
    protocols = values["alternateConfig"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(f":{OTEL_COLLECTOR_GRPC.port}")
    assert protocols["http"]["endpoint"].endswith(f":{OTEL_COLLECTOR_HTTP.port}")


def test_collector_image_is_contrib_and_pinned():
    image = gateway_values(_cfg("dev"), SYSTEM, "tempo:4317")["image"]
    assert image["repository"].endswith("opentelemetry-collector-contrib")
    assert re.fullmatch(r"\d+\.\d+\.\d+", image["tag"])


def test_gateway_limits_memory_batches_and_adds_kubernetes_attributes():
    processors = gateway_config(_cfg("dev"), "tempo:4317")["service"]["pipelines"]["traces"]["processors"]
    assert processors == ["memory_limiter", "k8sattributes", "batch"]


def test_tail_sampling_only_in_prod():
    assert "tail_sampling" not in gateway_config(_cfg("staging"), "tempo:4317")["processors"]
    assert "tail_sampling" in gateway_config(_cfg("prod"), "tempo:4317")["processors"]


def test_prod_tail_sampling_keeps_errors_and_slow_traces():
    policies = gateway_config(_cfg("prod"), "tempo:4317")["processors"]["tail_sampling"]["policies"]
    by_type = {p["type"]: p for p in policies}
    assert by_type["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert by_type["latency"]["latency"]["threshold_ms"] == 300


def test_prod_routes_whole_traces_to_one_replica_before_sampling():
    pipelines = gateway_config(_cfg("prod"), "tempo:4317")["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["loadbalancing"]
    assert "tail_sampling" in pipelines["traces/sampling"]["processors"]
    assert pipelines["traces/sampling"]["exporters"] == ["otlp/traces"]


def test_gateway_exports_traces_to_the_given_backend():
    exporters = gateway_config(_cfg("dev"), "jaeger.monitoring.svc.cluster.local:4317")["exporters"]
    assert exporters["otlp/traces"]["endpoint"] == "jaeger.monitoring.svc.cluster.local:4317"


def test_agent_lifts_level_service_and_trace_id_from_json_logs():
    processor = agent_config()["processors"]["transform/service-json"]
    statements = "\n".join(processor["log_statements"][0]["statements"])
    for field in ("level", "service", "trace_id"):
        assert f'set(attributes["{field}"], cache["{field}"])' in statements
    assert "ParseJSON(body)" in statements


def test_agent_ships_logs_to_loki_over_otlp():
    config = agent_config()
    assert config["exporters"]["otlphttp/loki"]["logs_endpoint"] == f"{LOKI.url}/otlp/v1/logs"
    assert config["service"]["pipelines"]["logs"]["exporters"] == ["otlphttp/loki"]


# --- Hardening --------------------------------------------------------------------------------


def _restricted(context: dict) -> bool:
    return context.get("seccompProfile") == {"type": "RuntimeDefault"} and context.get("runAsNonRoot") is True


def test_charts_without_security_contexts_get_restricted_ones():
    config = _cfg("dev")
    tempo = tempo_values(config, SYSTEM, "gp3", None, {}, {})
    jaeger = jaeger_values(config, SYSTEM)["jaeger"]
    gateway = gateway_values(config, SYSTEM, "tempo:4317")
    sloth = sloth_values(config)["securityContext"]
    pods = (tempo["securityContext"], jaeger["podSecurityContext"], gateway["podSecurityContext"], sloth["pod"])
    containers = (tempo["tempo"]["securityContext"], jaeger["securityContext"], gateway["securityContext"])
    for context in (*pods, *containers, sloth["container"]):
        assert _restricted(context)
    for context in (*containers, sloth["container"]):
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
