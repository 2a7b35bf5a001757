"""The trace backend: Tempo (default) or Jaeger v2 (`observability.tracing: jaeger`).

Both sit behind the same collector exporter and the same Grafana data source uid, so switching
backends changes the backend's release and the data source type, and nothing that links to
traces (exemplars, log lines, dashboards)."""

from __future__ import annotations

from typing import Any

from ..addresses import MONITORING_NAMESPACE, Endpoint, prometheus_replicas
from ..cluster import Bucket, Placement
from ..config import PlatformConfig
from ..kube import pvc_retention
from .hardening import RESTRICTED_CONTAINER, RESTRICTED_POD
from .sizing import replicas, size

TRACES_UID = "traces"  # the Grafana data source every trace link points at, whichever backend
TEMPO_SERVICE_ACCOUNT = "tempo"
# Where the collector sends spans (OTLP gRPC) and Grafana queries them, per backend.
_OTLP = {
    "tempo": Endpoint(MONITORING_NAMESPACE, "tempo", 4317),
    "jaeger": Endpoint(MONITORING_NAMESPACE, "jaeger", 4317),
}
_QUERY = {
    "tempo": Endpoint(MONITORING_NAMESPACE, "tempo", 3200),
    "jaeger": Endpoint(MONITORING_NAMESPACE, "jaeger", 16686),
}


def trace_backend_otlp(config: PlatformConfig) -> Endpoint:
    return _OTLP[config.observability.tracing]


def trace_datasource(config: PlatformConfig) -> dict[str, Any]:
    """The Grafana data source for traces, with trace-to-logs links into Loki."""
    backend = config.observability.tracing
    trace_to_logs = {
        "datasourceUid": "loki",
        "filterByTraceID": True,
        "spanStartTimeShift": "-5m",
        "spanEndTimeShift": "5m",
        "customQuery": False,
    }
    json_data: dict[str, Any] = {"tracesToLogsV2": trace_to_logs}
    if backend == "tempo":
        # Service graphs from Tempo's metrics generator, stored in Prometheus.
        json_data |= {"serviceMap": {"datasourceUid": "prometheus"}, "nodeGraph": {"enabled": True}}
    return {
        "name": "Traces",
        "uid": TRACES_UID,
        "type": backend,
        "access": "proxy",
        "url": _QUERY[backend].url,
        "jsonData": json_data,
    }


def _tempo_storage(bucket: Bucket | None) -> dict[str, Any]:
    local = {"backend": "local", "local": {"path": "/var/tempo/traces"}, "wal": {"path": "/var/tempo/wal"}}
    if bucket is None:
        return local
    wal = {"wal": local["wal"]}
    if bucket.kind == "s3":
        return {
            "backend": "s3",
            "s3": {"bucket": bucket.name, "region": bucket.region, "endpoint": f"s3.{bucket.region}.amazonaws.com"},
            **wal,
        }
    if bucket.kind == "gcs":
        return {"backend": "gcs", "gcs": {"bucket_name": bucket.name}, **wal}
    return {
        "backend": "azure",
        "azure": {"container_name": bucket.name, "storage_account_name": bucket.account, "use_federated_token": True},
        **wal,
    }


def tempo_values(
    config: PlatformConfig,
    placement: Placement,
    storage_class: str,
    bucket: Bucket | None,
    service_account_annotations: Any,
    pod_labels: dict[str, str],
) -> dict[str, Any]:
    """Tempo (single binary): on the bucket where there is one, else a volume; its metrics
    generator remote-writes service graphs and span metrics to Prometheus."""
    return {
        "fullnameOverride": "tempo",
        "replicas": 1,
        "tempo": {
            "reportingEnabled": False,
            "retention": f"{config.observability.retention_days * 24}h",
            "storage": {"trace": _tempo_storage(bucket)},
            "metricsGenerator": {
                "enabled": True,
                # Every Prometheus replica, so each of an HA pair has the service graphs.
                "storage": {
                    "remote_write": [
                        {"url": f"{r.url}/api/v1/write"} for r in prometheus_replicas(replicas(config, "prometheus"))
                    ],
                },
                "processor": {"service_graphs": {}, "span_metrics": {}},
            },
            "overrides": {"defaults": {"metrics_generator": {"processors": ["service-graphs", "span-metrics"]}}},
            "resources": size(config, "tempo").resources(),
            "securityContext": RESTRICTED_CONTAINER,
        },
        "securityContext": RESTRICTED_POD,
        # The WAL (and, without a bucket, the traces) need a volume that survives a restart.
        "persistence": {
            "enabled": True,
            "storageClassName": storage_class,
            "size": "10Gi" if bucket else "20Gi",
            "enableStatefulSetAutoDeletePVC": pvc_retention(config)["whenDeleted"] == "Delete",
        },
        "serviceAccount": {"name": TEMPO_SERVICE_ACCOUNT, "annotations": service_account_annotations},
        "podLabels": pod_labels,
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }


def jaeger_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    """Jaeger v2 all-in-one with its in-memory store: a trace viewer for short investigations,
    not long-term storage (Tempo is the default for that)."""
    return {
        "fullnameOverride": "jaeger",
        "jaeger": {
            "replicas": 1,
            "resources": size(config, "jaeger").resources(),
            "podSecurityContext": RESTRICTED_POD,
            "securityContext": RESTRICTED_CONTAINER,
            "nodeSelector": placement.node_selector,
            "tolerations": placement.tolerations,
        },
        "userconfig": {
            "service": {
                "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
                "pipelines": {
                    "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}
                },
            },
            "extensions": {
                "healthcheckv2": {"use_v2": True, "http": {"endpoint": "0.0.0.0:13133"}},
                "jaeger_query": {"storage": {"traces": "primary"}},
                "jaeger_storage": {"backends": {"primary": {"memory": {"max_traces": 100_000}}}},
            },
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
            "processors": {"batch": {}},
            "exporters": {"jaeger_storage_exporter": {"trace_storage": "primary"}},
        },
    }
