"""Node pool settings shared by the bootstrap pool (declared inside the cluster: AKS needs a system
pool at creation), the system pool and the workload pool (each its own versioned AgentPool)."""

from __future__ import annotations

from typing import Any, Literal

import pulumi
from pulumi_azure_native import containerservice

from ...config import PlatformConfig
from ...config.model import NodePool
from ..info import SYSTEM_POOL_LABEL, Placement
from ..pool_versions import pool_version

ZONES = ["1", "2", "3"]

# AKS refuses custom NoSchedule taints on System-mode pools ("SystemPoolHasRestrictedTaint",
# https://aka.ms/aks/system-taints); CriticalAddonsOnly is the one it allows. It keeps the
# services off the system pool just as SYSTEM_POOL_TAINT does elsewhere, and AKS's own
# kube-system pods already tolerate it.
SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule"
SYSTEM_PLACEMENT = Placement(
    node_selector={SYSTEM_POOL_LABEL: "system"},
    tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}],
)


# The pool declared inside the ManagedCluster. AKS cannot change its VM size, disk or zones, and
# adding or removing a pool through the cluster resource is refused, so it keeps what it was
# created with (its Kubernetes version follows the cluster); the system pool proper is the
# versioned AgentPool beside it. Its properties frozen after creation (ignoreChanges):
BOOTSTRAP_POOL = "system"
BOOTSTRAP_FROZEN = (
    "vmSize",
    "osDiskSizeGB",
    "osDiskType",
    "availabilityZones",
    "vnetSubnetID",
    "enableAutoScaling",
    "count",
    "minCount",
    "maxCount",
    "nodeLabels",
    "nodeTaints",
)


def workload_pool_name(pool: NodePool) -> str:
    """`wl<version>` (AKS: at most 12 lowercase letters and digits), the version over the settings
    AKS cannot change on an existing pool."""
    return f"wl{_create_only_version(pool)}"


def system_pool_name(pool: NodePool) -> str:
    """`sys<version>`, versioned like the workload pool (never `system`, the bootstrap pool's name)."""
    return f"sys{_create_only_version(pool)}"


def bootstrap_settings(
    system: NodePool, config: PlatformConfig, subnet_id: pulumi.Input[str], tags: dict[str, str]
) -> dict[str, Any]:
    """The bootstrap pool at creation: the system pool's shape and placement, one node (the
    versioned system pool carries the system pool's `min`/`max`)."""
    return pool_settings("system", system, config, subnet_id, tags) | {"min_count": 1, "max_count": 1, "count": 1}


def _create_only_version(pool: NodePool) -> str:
    return pool_version(
        {
            "vmSize": pool.instance_type,
            "osDiskSizeGB": pool.disk_gb,
            "osDiskType": "Managed",
            "availabilityZones": ZONES,
        }
    )


def pool_settings(
    role: Literal["system", "workloads"],
    pool: NodePool,
    config: PlatformConfig,
    subnet_id: pulumi.Input[str],
    tags: dict[str, str],
) -> dict[str, Any]:
    """Keyword arguments valid for both ManagedClusterAgentPoolProfileArgs and AgentPool."""
    return {
        "mode": containerservice.AgentPoolMode.SYSTEM if role == "system" else containerservice.AgentPoolMode.USER,
        "vm_size": pool.instance_type,
        "orchestrator_version": config.cluster.kubernetes_version,
        "enable_auto_scaling": True,
        "min_count": pool.min,
        "max_count": pool.max,
        "count": pool.min,
        "availability_zones": ZONES,
        "vnet_subnet_id": subnet_id,
        # Nodes get no public address; they reach out only through the cluster's outbound rules
        # (CIS AKS Benchmark 5.4.3: private nodes).
        "enable_node_public_ip": False,
        "os_type": containerservice.OSType.LINUX,
        # Azure Linux: a minimal host image with a small attack surface (baseline PV-3).
        "os_sku": containerservice.OSSKU.AZURE_LINUX,
        "os_disk_type": containerservice.OSDiskType.MANAGED,
        "os_disk_size_gb": pool.disk_gb,
        # No SSH access to nodes; debug with `kubectl debug node/...` instead (baseline PA-1:
        # no standing privileged access to hosts).
        "security_profile": containerservice.AgentPoolSecurityProfileArgs(
            ssh_access=containerservice.AgentPoolSSHAccess.DISABLED
        ),
        "node_labels": {SYSTEM_POOL_LABEL: role},
        "node_taints": [SYSTEM_POOL_TAINT] if role == "system" else [],
        "type": containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        "tags": tags,
    }
