"""Loki: a single binary on a volume where there is no object storage (dev, local, existing
clusters); the distributed targets on the cloud's bucket in staging and prod, reached through a
workload identity, never a static key.

Distributed rather than SimpleScalable: the chart marks SimpleScalable deprecated and gone in
Loki 4, so starting there would buy a migration."""

from __future__ import annotations

from typing import Any

from ..cluster import Bucket, Placement
from ..config import PlatformConfig
from ..kube import pvc_retention
from .sizing import LOKI_TARGETS, replicas, size

SERVICE_ACCOUNT = "loki"
SCHEMA_FROM = "2026-01-01"  # the first day of the tsdb v13 schema for this platform's logs

# The chart's value keys of each distributed target (LOKI_TARGETS spells them Kubernetes-style).
_TARGET_KEYS = {
    "distributor": "distributor",
    "ingester": "ingester",
    "querier": "querier",
    "query-frontend": "queryFrontend",
    "query-scheduler": "queryScheduler",
    "index-gateway": "indexGateway",
    "compactor": "compactor",
}
_SIMPLE_SCALABLE = ("read", "write", "backend")
# Targets the platform does not run: no log-based alerting rules, no blooms, no patterns.
_DISABLED = ("ruler", "bloomGateway", "bloomPlanner", "bloomBuilder", "patternIngester", "overridesExporter")


def _storage(bucket: Bucket | None) -> dict[str, Any]:
    if bucket is None:
        return {"type": "filesystem"}
    names = {"bucketNames": {"chunks": bucket.name, "ruler": bucket.name, "admin": bucket.name}}
    if bucket.kind == "s3":
        return {"type": "s3", "s3": {"region": bucket.region}, **names}
    if bucket.kind == "gcs":
        return {"type": "gcs", **names}
    return {"type": "azure", "azure": {"accountName": bucket.account, "useFederatedToken": True}, **names}


def _placed(config: PlatformConfig, placement: Placement, workload: str, **extra: Any) -> dict[str, Any]:
    return {
        "replicas": replicas(config, workload),
        "resources": size(config, workload).resources(),
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
        **extra,
    }


def loki_values(
    config: PlatformConfig,
    placement: Placement,
    storage_class: str,
    bucket: Bucket | None,
    service_account_annotations: Any,
    pod_labels: dict[str, str],
) -> dict[str, Any]:
    storage = _storage(bucket)
    distributed = bucket is not None
    retention = f"{config.observability.retention_days * 24}h"
    values: dict[str, Any] = {
        "fullnameOverride": "loki",  # so the gateway's Service is addresses.LOKI
        "deploymentMode": "Distributed" if distributed else "Monolithic",
        "loki": {
            "auth_enabled": False,  # one tenant: the platform's own logs
            "commonConfig": {"replication_factor": 3 if distributed and config.is_prod else 1},
            "storage": storage,
            "schemaConfig": {
                "configs": [
                    {
                        "from": SCHEMA_FROM,
                        "store": "tsdb",
                        "object_store": storage["type"],
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {"retention_period": retention, "allow_structured_metadata": True},
            "compactor": {"retention_enabled": True, "delete_request_store": storage["type"]},
            "podLabels": pod_labels,
        },
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": service_account_annotations},
        "gateway": _placed(config, placement, "loki-gateway"),
        # Memcached caches, the canary and the chart's self-test are left out to keep the
        # footprint small; query volume here does not need them.
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        **{target: {"enabled": False} for target in _DISABLED},
        # The chart refuses to mix modes: the SimpleScalable targets (3 replicas each by
        # default) must be at zero in Monolithic and Distributed mode alike.
        **{target: {"replicas": 0} for target in _SIMPLE_SCALABLE},
    }
    if not distributed:
        values["singleBinary"] = _placed(
            config,
            placement,
            "loki",
            persistence={
                "enabled": True,
                "storageClass": storage_class,
                "size": "20Gi",
                "enableStatefulSetAutoDeletePVC": pvc_retention(config)["whenDeleted"] == "Delete",
            },
        )
        return values
    for target in LOKI_TARGETS:
        values[_TARGET_KEYS[target]] = _placed(config, placement, f"loki-{target}")
    # Ingesters spread over zones by the pod anti-affinity the chart sets; one StatefulSet is enough.
    values["ingester"]["zoneAwareReplication"] = {"enabled": False}
    claim = {"name": "data", "size": "10Gi", "storageClass": storage_class, "accessModes": ["ReadWriteOnce"]}
    values["ingester"]["persistence"] = {"enabled": True, "claims": [claim]}  # the WAL survives a restart
    values["compactor"]["persistence"] = {"enabled": True, "claims": [claim]}
    values["indexGateway"]["persistence"] = {"enabled": True, "storageClass": storage_class}
    values["singleBinary"] = {"replicas": 0}
    return values
