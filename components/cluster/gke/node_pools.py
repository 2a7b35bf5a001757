"""Node pools: a dedicated least-privilege service account, COS with containerd, shielded VMs
with secure boot, the GKE metadata server, CMEK boot disks, auto-repair and auto-upgrade."""

from __future__ import annotations

import math

import pulumi
import pulumi_gcp as gcp

from ...config import PlatformConfig
from ...config.model import NodePool
from ...tags import standard_tags
from ..info import SYSTEM_POOL_LABEL, SYSTEM_POOL_TAINT
from ..pool_versions import pool_version
from .names import service_account_id

# Google's minimal role for node service accounts (logs, metrics, resource metadata), in place
# of the Editor role the default compute account carries. CIS GKE 5.2.1.
NODE_ROLES = ("roles/container.defaultNodeServiceAccount",)
ZONES = 3
# Kubernetes taint effects as GKE's API spells them.
_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def node_service_account(
    name: str, config: PlatformConfig, parent: pulumi.Resource, provider: gcp.Provider, apis: list[pulumi.Resource]
) -> tuple[gcp.serviceaccount.Account, list[gcp.projects.IAMMember]]:
    account = gcp.serviceaccount.Account(
        f"{name}-node-sa",
        gcp.serviceaccount.AccountArgs(
            account_id=service_account_id(f"{config.name_prefix}-nodes"),
            display_name=f"GKE nodes of {config.name_prefix}",
            project=config.gcp_project_id,
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis),
    )
    grants = [
        gcp.projects.IAMMember(
            f"{name}-node-sa-{role.rsplit('/', 1)[-1]}",
            gcp.projects.IAMMemberArgs(project=config.gcp_project_id, role=role, member=account.member),
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis),
        )
        for role in NODE_ROLES
    ]
    return account, grants


# Access is governed by the account's IAM roles, not by legacy scopes.
OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
NODE_METADATA = {"disable-legacy-endpoints": "true"}


def default_pool_node_config(
    account: gcp.serviceaccount.Account, disk_key_id: pulumi.Input[str]
) -> gcp.container.ClusterNodeConfigArgs:
    """The temporary default pool GKE creates with the cluster and the program removes at once
    (remove_default_node_pool). Its nodes still boot, so they run as hardened as the real pools:
    the node service account (not the Editor-holding default compute account), CMEK boot disks and
    shielded VMs; organisation policies that require these (constraints/compute.requireShieldedVm,
    gcp.restrictNonCmekServices) would otherwise refuse the cluster."""
    return gcp.container.ClusterNodeConfigArgs(
        disk_type="pd-balanced",
        boot_disk_kms_key=disk_key_id,  # CIS GKE 5.9.2
        image_type="COS_CONTAINERD",  # CIS GKE 5.5.1
        service_account=account.email,  # CIS GKE 5.2.1
        oauth_scopes=OAUTH_SCOPES,
        workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        metadata={"disable-legacy-endpoints": "true"},  # CIS GKE 5.4.1
    )


def node_pool_name(role: str, config: PlatformConfig) -> str:
    """`<role>-<version>`, the version over the node settings GKE cannot change in place. The
    account and the disk key are named from the config, so their names stand for them here."""
    version = pool_version(
        {
            "serviceAccount": service_account_id(f"{config.name_prefix}-nodes"),
            "oauthScopes": OAUTH_SCOPES,
            "metadata": NODE_METADATA,
            "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
            "bootDiskKmsKey": "nodes disk key",
        }
    )
    return f"{role}-{version}"


def initial_nodes_per_zone(pool: NodePool) -> int:
    return max(1, math.ceil(pool.min / ZONES))


def build_node_pool(
    name: str,
    role: str,
    pool: NodePool,
    config: PlatformConfig,
    cluster: gcp.container.Cluster,
    account: gcp.serviceaccount.Account,
    disk_key_id: pulumi.Input[str],
    depends_on: list[pulumi.Resource],
    parent: pulumi.Resource,
    provider: gcp.Provider,
) -> gcp.container.NodePool:
    system = role == "system"
    return gcp.container.NodePool(
        f"{name}-{role}-pool",
        gcp.container.NodePoolArgs(
            # Versioned: a change GKE cannot make in place gets a new name, so the new pool is up
            # before the old one is drained and deleted (pool_versions.py).
            name=node_pool_name(role, config),
            project=config.gcp_project_id,
            cluster=cluster.id,
            location=config.region,
            # Per zone, at creation only: the autoscaler then keeps the pool within its total bounds.
            # The field forces a new pool when it changes (provider docs, container_node_pool:
            # initial_node_count "Changing this will force recreation of the resource"), so it is
            # ignored after creation: raising min is an in-place autoscaling update.
            initial_node_count=initial_nodes_per_zone(pool),
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=pool.min, total_max_node_count=pool.max, location_policy="BALANCED"
            ),
            # CIS GKE 5.5.2 (auto-repair) and 5.5.3 (auto-upgrade, following the REGULAR channel).
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                strategy="SURGE", max_surge=1, max_unavailable=0
            ),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=pool.instance_type,
                disk_size_gb=pool.disk_gb,
                disk_type="pd-balanced",
                boot_disk_kms_key=disk_key_id,  # CIS GKE 5.9.2
                image_type="COS_CONTAINERD",  # CIS GKE 5.5.1
                service_account=account.email,  # CIS GKE 5.2.1
                oauth_scopes=OAUTH_SCOPES,
                # Pods see the GKE metadata server, never the node's credentials. CIS GKE 5.4.2.
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                # CIS GKE 5.5.6 (integrity monitoring) and 5.5.7 (secure boot).
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                metadata=NODE_METADATA,  # CIS GKE 5.4.1
                labels={SYSTEM_POOL_LABEL: role},
                taints=[
                    gcp.container.NodePoolNodeConfigTaintArgs(
                        key=SYSTEM_POOL_TAINT["key"],
                        value=SYSTEM_POOL_TAINT["value"],
                        effect=_EFFECTS[SYSTEM_POOL_TAINT["effect"]],
                    )
                ]
                if system
                else [],
                resource_labels={**standard_tags(config), "pool": role},
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, provider=provider, depends_on=depends_on, ignore_changes=["initialNodeCount"]
        ),
    )
