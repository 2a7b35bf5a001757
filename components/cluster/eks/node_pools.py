"""Managed node groups: `system` (tainted, for platform add-ons) and `workloads` (the services).

Nodes run Bottlerocket, the container-only OS the EKS Best Practices Guide recommends (Security >
Infrastructure security > "Use an OS optimized for running containers": read-only root,
SELinux enforcing, no shell or package manager), from a launch template that requires IMDSv2
with a hop limit of 1, so pods cannot borrow the node's role through the metadata service
(Security > IAM > "Restrict access to the instance profile assigned to the worker node"), and
encrypts every volume (Security > Data encryption > "Encryption at rest").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ...config import PlatformConfig
from ...config.model import NodePool
from ...tags import standard_tags
from ..info import SYSTEM_POOL_LABEL, SYSTEM_POOL_TAINT
from ..pool_versions import pool_version
from .iam import MANAGED_POLICY, service_trust_policy
from .karpenter import floor_scaling
from .network import Network

# No CNI policy on the node role: the VPC CNI has its own IRSA role (EKS Best Practices Guide,
# Networking > Amazon VPC CNI: give the CNI its own IAM role rather than the node's).
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
# Graviton families carry a "g" right after the generation: m7g, c7gn, r8g, t4g, x2gd.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


def ami_type(instance_type: str) -> str:
    """The Bottlerocket AMI type for the instance type's CPU architecture."""
    return "BOTTLEROCKET_ARM_64" if _GRAVITON.match(instance_type) else "BOTTLEROCKET_x86_64"


def pool_labels(pool: str) -> dict[str, str]:
    return {SYSTEM_POOL_LABEL: pool}


def pool_taints(pool: str) -> list[aws.eks.NodeGroupTaintArgs]:
    if pool != "system":
        return []
    return [
        aws.eks.NodeGroupTaintArgs(
            key=SYSTEM_POOL_TAINT["key"],
            value=SYSTEM_POOL_TAINT["value"],
            effect=_TAINT_EFFECTS[SYSTEM_POOL_TAINT["effect"]],
        )
    ]


def node_group_name(name_prefix: str, pool: str, spec: NodePool) -> str:
    """`<prefix>-<pool>-<version>`, the version over the settings only CreateNodegroup takes."""
    version = pool_version(
        {"instanceTypes": [spec.instance_type], "amiType": ami_type(spec.instance_type), "capacityType": "ON_DEMAND"}
    )
    return f"{name_prefix}-{pool}-{version}"


def block_devices(disk_gb: int) -> list[aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    """Bottlerocket boots from a small OS volume (/dev/xvda) and keeps images and pod data on a
    second one (/dev/xvdb), which takes the pool's configured size. Both encrypted."""

    def volume(device: str, size: int | None) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
        return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=device,
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_type="gp3", volume_size=size, encrypted="true", delete_on_termination="true"
            ),
        )

    return [volume("/dev/xvda", None), volume("/dev/xvdb", disk_gb)]


def build_node_pools(
    name: str,
    config: PlatformConfig,
    cluster: aws.eks.Cluster,
    network: Network,
    provider: aws.Provider,
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource],
) -> dict[str, aws.eks.NodeGroup]:
    """Both node groups; `after` are the add-ons a node needs to become Ready (CNI, kube-proxy)."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    role = aws.iam.Role(
        f"{name}-node-role",
        assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
        description=f"Nodes of {config.name_prefix}",
        opts=opts,
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}", role=role.name, policy_arn=f"{MANAGED_POLICY}/{policy}", opts=opts
        )
        for policy in NODE_POLICIES
    ]
    pools = {"system": config.cluster.node_pools.system, "workloads": config.cluster.node_pools.workloads}
    return {
        pool: _node_group(
            f"{name}-{pool}", pool, spec, config, cluster, network, role, opts, [*attachments, *network.egress, *after]
        )
        for pool, spec in pools.items()
    }


def _node_group(
    name: str,
    pool: str,
    spec: NodePool,
    config: PlatformConfig,
    cluster: aws.eks.Cluster,
    network: Network,
    role: aws.iam.Role,
    opts: pulumi.ResourceOptions,
    depends_on: list[pulumi.Resource],
) -> aws.eks.NodeGroup:
    # EC2 instances and volumes are created by the node group, outside this program: the launch
    # template carries the standard tags to them.
    instance_tags = {**standard_tags(config), "Name": f"{config.name_prefix}-{pool}"}
    template = aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"{pool} nodes of {config.name_prefix}",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
        ),
        block_device_mappings=block_devices(spec.disk_gb),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
            for kind in ("instance", "volume", "network-interface")
        ],
        update_default_version=True,
        opts=opts,
    )
    return aws.eks.NodeGroup(
        name,
        # Versioned: a change EKS cannot make in place gets a new name, so the new group is
        # created (and Ready) before the old one is drained and deleted (pool_versions.py).
        node_group_name=node_group_name(config.name_prefix, pool, spec),
        cluster_name=cluster.name,
        version=cluster.version,
        node_role_arn=role.arn,
        subnet_ids=network.private_subnet_ids,
        ami_type=ami_type(spec.instance_type),
        instance_types=[spec.instance_type],
        capacity_type="ON_DEMAND",
        # The floor only: Karpenter adds up to max - min nodes above it (karpenter.py). Nothing is
        # frozen: raising min updates min and desired together, in place.
        scaling_config=floor_scaling(spec),
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
        labels=pool_labels(pool),
        taints=pool_taints(pool),
        node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends_on)),
    )
