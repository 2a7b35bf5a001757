"""Node pool settings shared by the system pool (declared inside the cluster: AKS needs one at
creation) and the workload pool (its own AgentPool resource)."""

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


def workload_pool_name(pool: NodePool) -> str:
    """`wl<version>` (AKS: at most 12 lowercase letters and digits), the version over the settings
    AKS cannot change on an existing pool."""
    version = pool_version(
        {
            "vmSize": pool.instance_type,
            "osDiskSizeGB": pool.disk_gb,
            "osDiskType": "Managed",
            "availabilityZones": ZONES,
        }
    )
    return f"wl{version}"


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
