"""The cluster layer: one component per cloud, each a ClusterInfo.

Only the chosen cloud's module is imported, so a render or `pulumi up` loads one cloud SDK.
"""

from __future__ import annotations

import importlib

import pulumi

from ..config import PlatformConfig
from .info import (
    SYSTEM_POOL_LABEL,
    SYSTEM_POOL_TAINT,
    Bucket,
    BucketReadWrite,
    ClusterInfo,
    DnsRecordsWrite,
    DnsZone,
    Grant,
    KmsKey,
    KmsKeyUse,
    Placement,
    SecretsRead,
    ServiceAccountRef,
    WorkloadIdentity,
)

__all__ = [
    "SYSTEM_POOL_LABEL",
    "SYSTEM_POOL_TAINT",
    "Bucket",
    "BucketReadWrite",
    "ClusterInfo",
    "DnsRecordsWrite",
    "DnsZone",
    "Grant",
    "KmsKey",
    "KmsKeyUse",
    "Placement",
    "SecretsRead",
    "ServiceAccountRef",
    "WorkloadIdentity",
    "create_cluster",
]

_COMPONENTS = {
    "aws": ("eks", "EksCluster"),
    "gcp": ("gke", "GkeCluster"),
    "azure": ("aks", "AksCluster"),
    "existing": ("existing", "ExistingCluster"),
}


def create_cluster(name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> ClusterInfo:
    module, cls = _COMPONENTS[config.cloud]
    component = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return component(name, config, opts)  # type: ignore[no-any-return]
