"""kube-prometheus-stack: Prometheus, Alertmanager, the operator, kube-state-metrics, node
exporter and Grafana. Its CRDs come from the separate prometheus-operator-crds release."""

from __future__ import annotations

import re
from typing import Any

from ..cluster import SYSTEM_POOL_TAINT, Placement
from ..config import PlatformConfig
from ..kube import pvc_retention
from .alerting import RECEIVERS_SECRET, AvailableReceivers, alertmanager_config, receiver_secret_keys
from .grafana import grafana_values
from .sizing import replicas, size

# Histogram families of the API server no default rule or dashboard reads, dropped whole: per
# resource x verb x bucket they are the largest series counts a cluster has.
_DROPPED_FAMILIES = (
    "apiserver_request_body_size_bytes_bucket",
    "apiserver_response_sizes_bucket",
    "apiserver_watch_events_sizes_bucket",
    "apiserver_watch_list_duration_seconds_bucket",
    "etcd_request_duration_seconds_bucket",
)
# Request-latency histograms the default SLO rules do read: kept at coarser resolution. These
# are the API server's bucket bounds (seconds) that no default rule or dashboard queries.
_THINNED_FAMILIES = ("apiserver_request_duration_seconds_bucket", "apiserver_request_sli_duration_seconds_bucket")
_THINNED_BOUNDS = ("0.005", "0.025", "0.6", "0.8", "1.25", "1.5", "3", "4", "6", "8", "15", "20", "45")
# etcd's own histograms (scraped only where etcd is reachable): the peer and gRPC ones are the
# cardinality; the disk ones feed the etcd dashboard and are kept.
_ETCD_DROPPED = ("etcd_grpc_server_handling_seconds_bucket", "etcd_network_peer_round_trip_time_seconds_bucket")


def _alternatives(items: tuple[str, ...]) -> str:
    return "|".join(re.escape(item) for item in items)


def high_cardinality_relabelings() -> list[dict[str, Any]]:
    """metricRelabelings for the API server's ServiceMonitor."""
    return [
        {"action": "drop", "sourceLabels": ["__name__"], "regex": f"({_alternatives(_DROPPED_FAMILIES)})"},
        {
            "action": "drop",
            "sourceLabels": ["__name__", "le"],
            "regex": f"({_alternatives(_THINNED_FAMILIES)});({_alternatives(_THINNED_BOUNDS)})(\\.0)?",
        },
    ]


def _volume(storage_class: str, gigabytes: int) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": storage_class,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{gigabytes}Gi"}},
            }
        }
    }


def _placed(config: PlatformConfig, placement: Placement, workload: str) -> dict[str, Any]:
    return {
        "resources": size(config, workload).resources(),
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }


_MONITORING_KINDS = ("serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig")
# Prometheus disk per environment: retention days x the platform's ingest, with headroom.
_PROMETHEUS_DISK_GB = {"local": 10, "dev": 20, "staging": 50, "prod": 100}


def prometheus_spec(config: PlatformConfig, placement: Placement, storage_class: str) -> dict[str, Any]:
    disk = _PROMETHEUS_DISK_GB[config.environment]
    return {
        "replicas": replicas(config, "prometheus"),
        "retention": f"{config.observability.retention_days}d",
        # Compaction needs headroom: stop short of a full disk rather than crash on it.
        "retentionSize": f"{int(disk * 0.85)}GB",
        "storageSpec": _volume(storage_class, disk),
        "persistentVolumeClaimRetentionPolicy": pvc_retention(config),
        "externalLabels": {"environment": config.environment},
        # Pick up ServiceMonitors, PodMonitors, Probes, ScrapeConfigs and rules whatever their
        # labels (not only this release's), from every namespace (the chart's default).
        **{f"{kind}SelectorNilUsesHelmValues": False for kind in _MONITORING_KINDS},
        # Tempo's metrics generator remote-writes service graphs; the collector pushes OTLP metrics.
        "enableRemoteWriteReceiver": True,
        "enableOTLPReceiver": True,
        # Exemplars (trace ids on histogram samples) link latency panels to traces.
        "enableFeatures": ["exemplar-storage"],
        "exemplars": {"maxSize": 100_000},
        **_placed(config, placement, "prometheus"),
    }


def alertmanager_values(
    config: PlatformConfig, placement: Placement, storage_class: str, available: AvailableReceivers
) -> dict[str, Any]:
    has_secret = bool(receiver_secret_keys(available, config.is_prod))
    return {
        "config": alertmanager_config(config, available),
        "podDisruptionBudget": {"enabled": config.is_prod},
        "alertmanagerSpec": {
            "replicas": replicas(config, "alertmanager"),
            # Mounted at /etc/alertmanager/secrets/<name>/, read by *_file fields of the config.
            "secrets": [RECEIVERS_SECRET] if has_secret else [],
            "storage": _volume(storage_class, 2),  # silences and notification log survive restarts
            **_placed(config, placement, "alertmanager"),
        },
    }


def kube_prometheus_stack_values(
    config: PlatformConfig,
    placement: Placement,
    storage_class: str,
    available: AvailableReceivers,
    agents_namespace: str,
    managed_control_plane: bool,
) -> dict[str, Any]:
    """`managed_control_plane`: the cloud runs etcd, the scheduler and the controller manager
    out of reach of any scrape (EKS, GKE, AKS); only an existing cluster exposes them."""
    self_managed = not managed_control_plane
    etcd_relabelings = [{"action": "drop", "sourceLabels": ["__name__"], "regex": f"({_alternatives(_ETCD_DROPPED)})"}]
    return {
        "crds": {"enabled": False},  # installed by the prometheus-operator-crds release
        "prometheus": {"prometheusSpec": prometheus_spec(config, placement, storage_class)},
        "alertmanager": alertmanager_values(config, placement, storage_class, available),
        "prometheusOperator": {
            **_placed(config, placement, "prometheus-operator"),
            "admissionWebhooks": {
                "patch": {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations}
            },
        },
        "kube-state-metrics": _placed(config, placement, "kube-state-metrics"),
        # On every node, the system pool's included: it lives with the other node agents.
        "prometheus-node-exporter": {
            "namespaceOverride": agents_namespace,
            "resources": size(config, "node-exporter").resources(),
            "tolerations": [SYSTEM_POOL_TAINT | {"operator": "Equal"}],
        },
        "kubeApiServer": {"serviceMonitor": {"metricRelabelings": high_cardinality_relabelings()}},
        "kubeEtcd": {"enabled": self_managed, "serviceMonitor": {"metricRelabelings": etcd_relabelings}},
        "kubeControllerManager": {"enabled": self_managed},
        "kubeScheduler": {"enabled": self_managed},
        "kubeProxy": {"enabled": self_managed},
        "grafana": grafana_values(config, placement),
    }
