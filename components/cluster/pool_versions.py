"""Versioned node pool names: a pool's name carries a short hash of the settings its cloud cannot
change in place, so a change that needs a new pool gets a new name. Pulumi then replaces it
create-before-delete (its default when names differ): the new pool is up and Ready before the old
one is deleted, and deleting a pool drains it (cordon, evict respecting PodDisruptionBudgets).

A setting the cloud changes in place (size bounds, labels, taints, Kubernetes version) stays out
of the hash: changing it updates the pool under the same name. `REPLACED_BY` is the table, per
cloud, of the provider properties that force a new pool, with the document that says so; the
lifecycle tests (tests/test_lifecycle.py) check the program against it and docs/day2.md shows it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Forcing:
    prop: str  # the provider property, as the engine spells it (camelCase, dotted into objects)
    source: str  # the document saying a change needs a new resource


_EKS_CREATE_ONLY = (
    "https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html and "
    "API_UpdateNodegroupVersion.html: only labels, taints, scaling, update and repair config, version, "
    "release version and launch template version change in place; the rest is set by CreateNodegroup only"
)
_GKE_NODE_CONFIG = (
    "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_node_pool "
    "(node_config fields without in-place update; machine_type, disk_type and disk_size_gb update in place "
    "since provider 6.8, GoogleCloudPlatform/magic-modules#9575)"
)
_AKS_RESIZE = "https://learn.microsoft.com/azure/aks/resize-node-pool (VM size and OS disk: create a new pool)"

REPLACED_BY: dict[str, tuple[Forcing, ...]] = {
    "aws:eks/nodeGroup:NodeGroup": (
        Forcing("nodeGroupName", _EKS_CREATE_ONLY),
        Forcing("instanceTypes", _EKS_CREATE_ONLY),
        Forcing("amiType", _EKS_CREATE_ONLY),
        Forcing("capacityType", _EKS_CREATE_ONLY),
        Forcing("diskSize", _EKS_CREATE_ONLY),
        Forcing("subnetIds", _EKS_CREATE_ONLY),
        Forcing("nodeRoleArn", _EKS_CREATE_ONLY),
        Forcing("launchTemplate.id", _EKS_CREATE_ONLY),
    ),
    "gcp:container/nodePool:NodePool": (
        Forcing("name", _GKE_NODE_CONFIG),
        Forcing("location", _GKE_NODE_CONFIG),
        Forcing("initialNodeCount", _GKE_NODE_CONFIG),  # ignored after creation (node_pools.py)
        Forcing("nodeConfig.serviceAccount", _GKE_NODE_CONFIG),
        Forcing("nodeConfig.oauthScopes", _GKE_NODE_CONFIG),
        Forcing("nodeConfig.bootDiskKmsKey", _GKE_NODE_CONFIG),
        Forcing("nodeConfig.metadata", _GKE_NODE_CONFIG),
        Forcing("nodeConfig.shieldedInstanceConfig", _GKE_NODE_CONFIG),
    ),
    # The system and workloads pools (components/cluster/aks/node_pools.py). The bootstrap pool in
    # the ManagedCluster never changes these: they are ignored there after creation.
    "azure-native:containerservice:AgentPool": (
        Forcing("agentPoolName", "https://learn.microsoft.com/rest/api/aks/agent-pools/create-or-update"),
        Forcing("vmSize", _AKS_RESIZE),
        Forcing("osDiskSizeGB", _AKS_RESIZE),
        Forcing("osDiskType", _AKS_RESIZE),
        Forcing("availabilityZones", "https://learn.microsoft.com/azure/aks/availability-zones (set at creation only)"),
        Forcing("vnetSubnetID", "https://learn.microsoft.com/azure/aks/configure-azure-cni (set at creation only)"),
    ),
}


def pool_version(settings: Mapping[str, object]) -> str:
    """Six hex digits identifying `settings` (the pool's create-only settings, plain values)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:6]
