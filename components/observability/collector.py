"""OpenTelemetry Collectors: a gateway Deployment behind addresses.OTEL_COLLECTOR_* that services
and the mesh send OTLP to, and a log agent DaemonSet that tails every container's log file.

Log collection uses the Collector (filelog) rather than Grafana Alloy: one agent technology,
one chart already pinned for traces, and the same OTTL processors on both tiers; Loki takes
OTLP natively, so no Loki-specific exporter is needed.

Both collectors get their whole configuration through the chart's `alternateConfig`, which is
not merged with the chart's default pipelines (debug exporters, Jaeger and Zipkin receivers):
what is tested here is exactly what runs.
"""

from __future__ import annotations

from typing import Any

from ..addresses import LOKI, OTEL_COLLECTOR_GRPC, OTEL_COLLECTOR_HTTP, SERVICES_NAMESPACE, prometheus_replicas
from ..cluster import SYSTEM_POOL_TAINT, Placement
from ..config import PlatformConfig
from .hardening import RESTRICTED_CONTAINER, RESTRICTED_POD
from .sizing import replicas, size

# contrib: the core image lacks k8sattributes, tail_sampling, loadbalancing and filelog.
# The chart's appVersion at the catalogue's pin, stated so a chart bump does not move it silently.
IMAGE = {"repository": "otel/opentelemetry-collector-contrib", "tag": "0.158.0"}
SAMPLING_PORT = 4319  # prod: where gateway replicas hand each other whole traces
_POD_IP = "${env:MY_POD_IP}"
_READ = ["get", "list", "watch"]

_HEALTH = {"health_check": {"endpoint": f"{_POD_IP}:13133"}}
_TELEMETRY = {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {"host": _POD_IP, "port": 8888}}}}]}}
_MEMORY_LIMITER = {"check_interval": "5s", "limit_percentage": 80, "spike_limit_percentage": 25}
_LOKI_OTLP = {"otlphttp/loki": {"logs_endpoint": f"{LOKI.url}/otlp/v1/logs"}}
# Ports the chart opens by default for receivers this platform does not run.
_UNUSED_PORTS = ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")


def _k8s_attributes() -> dict[str, Any]:
    """Pod metadata on every span, keyed by the sender's connection (first hop only)."""
    return {
        "auth_type": "serviceAccount",
        "passthrough": False,
        "extract": {
            "metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name", "k8s.node.name"],
            "labels": [{"tag_name": "service.name", "key": "app.kubernetes.io/name", "from": "pod"}],
        },
        "pod_association": [{"sources": [{"from": "connection"}]}],
    }


def _tail_sampling(config: PlatformConfig) -> dict[str, Any]:
    """Keep every trace with an error, every trace slower than the strictest latency objective,
    and a tenth of the rest."""
    slow_ms = min(service.slo.latency_p95_ms for service in config.services.values())
    return {
        "decision_wait": "10s",
        "policies": [
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "slow", "type": "latency", "latency": {"threshold_ms": slow_ms}},
            {"name": "baseline", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10}},
        ],
    }


def gateway_config(config: PlatformConfig, trace_backend: str) -> dict[str, Any]:
    """The gateway's collector configuration. In prod, tail sampling needs all spans of a trace
    on one replica: the first pipeline routes spans by trace id to the replica that owns it
    (loadbalancing exporter, resolved from the Service's endpoints), the second samples."""
    otlp_grpc = {"endpoint": f"{_POD_IP}:{OTEL_COLLECTOR_GRPC.port}"}
    otlp_http = {"endpoint": f"{_POD_IP}:{OTEL_COLLECTOR_HTTP.port}"}
    receivers: dict[str, Any] = {"otlp": {"protocols": {"grpc": otlp_grpc, "http": otlp_http}}}
    # One exporter per Prometheus replica: each of an HA pair keeps the whole series set.
    to_prometheus = {
        f"otlphttp/prometheus-{i}": {"metrics_endpoint": f"{replica.url}/api/v1/otlp/v1/metrics"}
        for i, replica in enumerate(prometheus_replicas(replicas(config, "prometheus")))
    }
    exporters: dict[str, Any] = {
        "otlp/traces": {"endpoint": trace_backend, "tls": {"insecure": True}},
        **to_prometheus,
        **_LOKI_OTLP,
    }
    processors: dict[str, Any] = {
        "memory_limiter": _MEMORY_LIMITER,
        "batch": {},
        "k8sattributes": _k8s_attributes(),
    }
    first_hop = ["memory_limiter", "k8sattributes"]
    pipelines: dict[str, Any] = {
        "metrics": {"receivers": ["otlp"], "processors": [*first_hop, "batch"], "exporters": sorted(to_prometheus)},
        "logs": {"receivers": ["otlp"], "processors": [*first_hop, "batch"], "exporters": ["otlphttp/loki"]},
    }
    if config.is_prod:
        receivers["otlp/sampling"] = {"protocols": {"grpc": {"endpoint": f"{_POD_IP}:{SAMPLING_PORT}"}}}
        exporters["loadbalancing"] = {
            "routing_key": "traceID",
            "protocol": {"otlp": {"tls": {"insecure": True}}},
            "resolver": {
                "k8s": {
                    "service": f"{OTEL_COLLECTOR_GRPC.service}.{OTEL_COLLECTOR_GRPC.namespace}",
                    "ports": [SAMPLING_PORT],
                }
            },
        }
        processors["tail_sampling"] = _tail_sampling(config)
        pipelines["traces"] = {"receivers": ["otlp"], "processors": first_hop, "exporters": ["loadbalancing"]}
        pipelines["traces/sampling"] = {
            "receivers": ["otlp/sampling"],
            "processors": ["memory_limiter", "tail_sampling", "batch"],
            "exporters": ["otlp/traces"],
        }
    else:
        pipelines["traces"] = {"receivers": ["otlp"], "processors": [*first_hop, "batch"], "exporters": ["otlp/traces"]}
    return {
        "extensions": _HEALTH,
        "receivers": receivers,
        "processors": processors,
        "exporters": exporters,
        "service": {"extensions": ["health_check"], "pipelines": pipelines, "telemetry": _TELEMETRY},
    }


def gateway_values(config: PlatformConfig, placement: Placement, trace_backend: str) -> dict[str, Any]:
    """`trace_backend`: host:port of the trace backend's OTLP gRPC receiver."""
    ports: dict[str, Any] = {name: {"enabled": False} for name in _UNUSED_PORTS}
    ports["metrics"] = {"enabled": True}
    if config.is_prod:
        ports["otlp-sampling"] = {
            "enabled": True,
            "containerPort": SAMPLING_PORT,
            "servicePort": SAMPLING_PORT,
            "protocol": "TCP",
            "appProtocol": "grpc",
        }
    pod_rules = {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": _READ}
    replica_sets = {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": _READ}
    endpoint_slices = {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": _READ}
    return {
        "mode": "deployment",
        "fullnameOverride": OTEL_COLLECTOR_GRPC.service,  # the Service the mesh's tracing points at
        "image": IMAGE,
        "replicaCount": replicas(config, "collector-gateway"),
        "podSecurityContext": RESTRICTED_POD,
        "securityContext": RESTRICTED_CONTAINER,
        "resources": size(config, "collector-gateway").resources(),
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
        "ports": ports,
        "serviceMonitor": {"enabled": True},
        "clusterRole": {
            "create": True,
            "rules": [pod_rules, replica_sets, *([endpoint_slices] if config.is_prod else [])],
        },
        "alternateConfig": gateway_config(config, trace_backend),
    }


# Services log JSON lines; these statements lift `level`, `service` and `trace_id` out of them
# (OTTL, transform processor). Other namespaces' logs pass through unparsed.
_PARSE_SERVICE_JSON = [
    f'merge_maps(cache, ParseJSON(body), "upsert") where resource.attributes["k8s.namespace.name"] == '
    f'"{SERVICES_NAMESPACE}" and IsMatch(body, "^\\\\s*\\\\{{")',
    'set(attributes["level"], cache["level"]) where cache["level"] != nil',
    'set(severity_text, cache["level"]) where cache["level"] != nil',
    'set(attributes["service"], cache["service"]) where cache["service"] != nil',
    'set(attributes["trace_id"], cache["trace_id"]) where cache["trace_id"] != nil',
    'set(resource.attributes["service.name"], resource.attributes["app.kubernetes.io/name"]) '
    'where resource.attributes["app.kubernetes.io/name"] != nil',
]


def agent_config() -> dict[str, Any]:
    """The log agent's configuration; the chart's presets add the filelog receiver and the
    k8sattributes processor (host paths, RBAC) to the logs pipeline."""
    return {
        "extensions": _HEALTH,
        "receivers": {},
        "processors": {
            "memory_limiter": _MEMORY_LIMITER,
            "batch": {},
            "transform/service-json": {
                "error_mode": "ignore",
                "log_statements": [{"context": "log", "statements": _PARSE_SERVICE_JSON}],
            },
        },
        "exporters": _LOKI_OTLP,
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "logs": {
                    "receivers": [],
                    "processors": ["memory_limiter", "transform/service-json", "batch"],
                    "exporters": ["otlphttp/loki"],
                }
            },
            "telemetry": _TELEMETRY,
        },
    }


def agent_values(config: PlatformConfig) -> dict[str, Any]:
    """The DaemonSet runs on every node, the system pool's included (it tolerates its taint)."""
    return {
        "mode": "daemonset",
        "fullnameOverride": "otel-agent",
        "image": IMAGE,
        "resources": size(config, "collector-agent").resources(),
        "tolerations": [SYSTEM_POOL_TAINT | {"operator": "Equal"}],
        "presets": {
            "logsCollection": {"enabled": True, "storeCheckpoints": True},
            "kubernetesAttributes": {"enabled": True, "extractAllPodLabels": True},
        },
        # The agent receives nothing over the network: no host ports.
        "ports": {name: {"enabled": False} for name in ("otlp", "otlp-http", *_UNUSED_PORTS)}
        | {"metrics": {"enabled": True}},
        "serviceMonitor": {"enabled": True},
        "alternateConfig": agent_config(),
    }
