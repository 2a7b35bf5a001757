"""Node autoscaling on EKS: Karpenter on top of a managed-node-group floor.

Why Karpenter rather than Cluster Autoscaler: the project ships Karpenter's chart (verify renders
every release from its archive, and there is none for Cluster Autoscaler); Karpenter launches
nodes through EC2 Fleet directly, so no Auto Scaling group size is ever written by two owners;
and it replaces drifted nodes (instance type, AMI, Kubernetes minor) one at a time, honouring
PodDisruptionBudgets, without replacing any Pulumi resource.

How `min` and `max` map, the same numbers as on GKE and AKS:

- the managed node group of each pool holds exactly `min` nodes (min = desired = `min`): the floor
  that Karpenter's controller, and whatever must run before Karpenter does, live on. No field is
  frozen by ignoreChanges, so raising `min` is an in-place `UpdateNodegroupConfig`;
- a Karpenter NodePool per pool adds up to `max - min` nodes (`limits.nodes`) of the same
  instance type, labels and taint, when pods are pending, and consolidates them when empty.

Karpenter's nodes use their own IAM role, registered with an EC2_LINUX access entry: the entry
EKS creates for a managed node group's role goes away with that node group.

Permissions follow Karpenter's documented controller policy (karpenter.sh, "Getting Started with
Karpenter" > cloudformation.yaml, KarpenterControllerPolicy), written here and scoped to this
cluster's tags and roles: components/cluster/permissions.py lists them with the source.
The interruption queue (SQS + EventBridge) is optional upstream and not created: the node groups
are on-demand, and EKS node repair (enabled on the floor) covers health events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...addresses import KARPENTER_NAMESPACE
from ...config import PlatformConfig
from ...config.model import NodePool
from ...kube import MANAGED_BY, helm_release, namespace
from ...tags import standard_tags
from ..info import SYSTEM_POOL_LABEL, SYSTEM_POOL_TAINT, ClusterInfo, Placement, ScrapeTarget, ServiceAccountRef
from .iam import (
    IRSA_ANNOTATION,
    MANAGED_POLICY,
    PARTITION,
    OidcProvider,
    irsa_role,
    policy_document,
    service_trust_policy,
)

SERVICE_ACCOUNT = ServiceAccountRef(KARPENTER_NAMESPACE, "karpenter")
# Bottlerocket release Karpenter's nodes boot, pinned: an alias `@latest` drifts every node when
# AWS publishes an AMI. Bump it with the Kubernetes minor (docs/upgrade.md); Karpenter then
# replaces its nodes one at a time.
BOTTLEROCKET_ALIAS = "bottlerocket@v1.51.0"
NODEPOOL_LABEL = "karpenter.sh/nodepool"


# The controller's metrics Service (the chart's `http-metrics` port, 8080), selected by the chart's
# selector labels for the release `karpenter` (kube.helm_release names a release after its add-on).
SCRAPE_TARGET = ScrapeTarget(
    name="karpenter",
    namespace=KARPENTER_NAMESPACE,
    selector={"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter"},
    port="http-metrics",
)


@dataclass(frozen=True)
class Karpenter:
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    node_pools: dict[str, k8s.apiextensions.CustomResource]


def burst_nodes(pool: NodePool) -> int:
    """The nodes Karpenter may add above the managed floor of `pool.min`: `max - min`."""
    return pool.max - pool.min


def floor_scaling(pool: NodePool) -> aws.eks.NodeGroupScalingConfigArgs:
    """The managed node group's size: exactly `min` (EKS requires maxSize >= 1)."""
    return aws.eks.NodeGroupScalingConfigArgs(min_size=pool.min, desired_size=pool.min, max_size=max(pool.min, 1))


def controller_statements(cluster_name: str, region: str, account_id: str, node_role_arn: str) -> list[dict[str, Any]]:
    """What Karpenter's controller does in AWS, each statement limited to this cluster."""
    ec2 = f"arn:{PARTITION}:ec2:{region}"
    cluster_tag = f"kubernetes.io/cluster/{cluster_name}"
    launched = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface", "launch-template")]
    return [
        {
            "Sid": "LaunchFromSharedResources",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Resource": [
                f"{ec2}::image/*",
                f"{ec2}::snapshot/*",
                f"{ec2}:*:security-group/*",
                f"{ec2}:*:subnet/*",
                f"{ec2}:*:launch-template/*",
                f"{ec2}:*:capacity-reservation/*",
            ],
        },
        {
            "Sid": "LaunchTaggedForThisCluster",
            "Effect": "Allow",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Resource": launched,
            "Condition": {
                "StringEquals": {f"aws:RequestTag/{cluster_tag}": "owned"},
                "StringLike": {f"aws:RequestTag/{NODEPOOL_LABEL}": "*"},
            },
        },
        {
            "Sid": "TagOnLaunch",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": launched,
            "Condition": {
                "StringEquals": {
                    f"aws:RequestTag/{cluster_tag}": "owned",
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {f"aws:RequestTag/{NODEPOOL_LABEL}": "*"},
            },
        },
        {
            "Sid": "TagOwnInstances",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"{ec2}:*:instance/*",
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{cluster_tag}": "owned"},
                "StringLike": {f"aws:ResourceTag/{NODEPOOL_LABEL}": "*"},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "TerminateOwnInstances",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{cluster_tag}": "owned"},
                "StringLike": {f"aws:ResourceTag/{NODEPOOL_LABEL}": "*"},
            },
        },
        {
            "Sid": "DescribeInRegion",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "AmiParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{PARTITION}:ssm:{region}::parameter/aws/service/*",
        },
        {"Sid": "Pricing", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
        {
            "Sid": "PassNodeRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}},
        },
        {
            "Sid": "InstanceProfilesOfThisCluster",
            "Effect": "Allow",
            "Action": [
                "iam:CreateInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Resource": f"arn:{PARTITION}:iam::{account_id}:instance-profile/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{cluster_tag}": "owned"}},
        },
        {
            "Sid": "CreateTaggedInstanceProfiles",
            "Effect": "Allow",
            "Action": ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
            "Resource": f"arn:{PARTITION}:iam::{account_id}:instance-profile/*",
            "Condition": {"StringEquals": {f"aws:RequestTag/{cluster_tag}": "owned"}},
        },
        {
            "Sid": "ReadInstanceProfiles",
            "Effect": "Allow",
            "Action": ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"],
            "Resource": "*",
        },
        {
            "Sid": "ClusterEndpoint",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": f"arn:{PARTITION}:eks:{region}:{account_id}:cluster/{cluster_name}",
        },
    ]


def karpenter_values(
    config: PlatformConfig, cluster_name: str, placement: Placement, annotations: dict[str, str]
) -> dict[str, Any]:
    # Its required anti-affinity puts each replica on its own node: never more than the floor has.
    replicas = 2 if config.cluster.node_pools.system.min >= 2 else 1
    return {
        "replicas": replicas,
        "serviceAccount": {"name": SERVICE_ACCOUNT.name, "annotations": annotations},
        "settings": {"clusterName": cluster_name},
        # On the managed system floor: the chart's own affinity already keeps it off Karpenter nodes.
        "nodeSelector": {"kubernetes.io/os": "linux", **placement.node_selector},
        "tolerations": placement.tolerations,
        # Off: the chart renders its ServiceMonitor only if the monitoring API is already served,
        # and the cluster layer installs before observability. Observability declares it instead
        # (SCRAPE_TARGET, through ClusterInfo.scrape_targets), so it exists from the first `up`.
        "serviceMonitor": {"enabled": False},
        "controller": {
            "resources": {
                "requests": {"cpu": "250m", "memory": "512Mi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            }
        },
    }


def node_class_spec(
    config: PlatformConfig, pool: str, spec: NodePool, node_role: str, subnet_ids: list[str], security_group_id: str
) -> dict[str, Any]:
    """As hardened as the managed floor's launch template (node_pools.py): IMDSv2 with hop limit 1,
    encrypted gp3 volumes, Bottlerocket."""
    return {
        "amiSelectorTerms": [{"alias": BOTTLEROCKET_ALIAS}],
        "role": node_role,
        "subnetSelectorTerms": [{"id": subnet} for subnet in subnet_ids],
        "securityGroupSelectorTerms": [{"id": security_group_id}],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
            "httpProtocolIPv6": "disabled",
        },
        "blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"volumeType": "gp3", "volumeSize": "4Gi", "encrypted": True}},
            {
                "deviceName": "/dev/xvdb",
                "ebs": {"volumeType": "gp3", "volumeSize": f"{spec.disk_gb}Gi", "encrypted": True},
            },
        ],
        "tags": {**standard_tags(config), "Name": f"{config.name_prefix}-{pool}"},
    }


def node_pool_spec(pool: str, spec: NodePool) -> dict[str, Any]:
    """Same instance type, label and taint as the pool's managed floor; at most `max - min` nodes."""
    taints = [dict(SYSTEM_POOL_TAINT)] if pool == "system" else []
    return {
        "template": {
            "metadata": {"labels": {SYSTEM_POOL_LABEL: pool}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [spec.instance_type]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                ],
                "taints": taints,
                "expireAfter": "720h",
            },
        },
        "limits": {"nodes": str(burst_nodes(spec))},
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": "5m",
            "budgets": [{"nodes": "1"}],
        },
    }


def node_role(
    name: str, cluster: aws.eks.Cluster, opts: pulumi.ResourceOptions
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """The role Karpenter's nodes run as, and the access entry that lets them join the cluster."""
    role = aws.iam.Role(
        f"{name}-node-role",
        assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
        description="Karpenter nodes",
        opts=opts,
    )
    attachments: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}", role=role.name, policy_arn=f"{MANAGED_POLICY}/{policy}", opts=opts
        )
        for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
    ]
    entry = aws.eks.AccessEntry(
        f"{name}-node-access", cluster_name=cluster.name, principal_arn=role.arn, type="EC2_LINUX", opts=opts
    )
    return role, [*attachments, entry]


def _node_class(
    config: PlatformConfig,
    pool: str,
    spec: NodePool,
    role_name: pulumi.Output[str],
    security_group: pulumi.Output[str | None],
    subnet_ids: list[pulumi.Output[str]],
) -> pulumi.Output[dict[str, Any]]:
    def build(args: list[Any]) -> dict[str, Any]:
        return node_class_spec(config, pool, spec, args[0], list(args[2:]), args[1])

    return pulumi.Output.all(role_name, security_group, *subnet_ids).apply(build)


def build_karpenter(
    name: str,
    config: PlatformConfig,
    cluster_info: ClusterInfo,
    cluster: aws.eks.Cluster,
    private_subnet_ids: list[pulumi.Output[str]],
    oidc: OidcProvider,
    account_id: pulumi.Output[str],
    aws_opts: pulumi.ResourceOptions,
) -> Karpenter:
    """Karpenter's IAM, its two releases (CRDs, controller), and an EC2NodeClass and NodePool per pool.
    `cluster_info` is the EKS cluster being built: its provider, placement and `ready`."""
    parent = aws_opts.parent
    assert parent is not None
    role, node_access = node_role(name, cluster, aws_opts)
    controller = irsa_role(f"{name}-controller", oidc, SERVICE_ACCOUNT, "Karpenter controller", aws_opts)
    aws.iam.RolePolicy(
        f"{name}-controller-policy",
        role=controller.id,
        policy=pulumi.Output.all(cluster.name, account_id, role.arn).apply(
            lambda a: policy_document(controller_statements(a[0], config.region, a[1], a[2]))
        ),
        opts=aws_opts,
    )
    ns = namespace(f"{name}-ns", KARPENTER_NAMESPACE, cluster_info, pod_security="restricted", reason="", parent=parent)
    crds = helm_release(
        f"{name}-crd", "karpenter-crd", config, cluster_info, namespace=ns, values={}, parent=parent, runs_pods=False
    )
    values = pulumi.Output.all(cluster.name, controller.arn).apply(
        lambda a: karpenter_values(config, a[0], cluster_info.system_placement, {IRSA_ANNOTATION: a[1]})
    )
    release = helm_release(
        f"{name}-controller",
        "karpenter",
        config,
        cluster_info,
        namespace=ns,
        values=values,
        parent=parent,
        depends_on=[crds, *node_access],
    )
    k8s_opts = pulumi.ResourceOptions(parent=parent, provider=cluster_info.provider, depends_on=[crds, release])
    sg = cluster.vpc_config.cluster_security_group_id
    pools = {"system": config.cluster.node_pools.system, "workloads": config.cluster.node_pools.workloads}
    node_pools: dict[str, k8s.apiextensions.CustomResource] = {}
    for pool, spec in pools.items():
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-{pool}-nodeclass",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pool, labels=MANAGED_BY),
            spec=_node_class(config, pool, spec, role.name, sg, private_subnet_ids),
            opts=k8s_opts,
        )
        node_pools[pool] = k8s.apiextensions.CustomResource(
            f"{name}-{pool}-nodepool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pool, labels=MANAGED_BY),
            spec=node_pool_spec(pool, spec),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[node_class])),
        )
    return Karpenter(namespace=ns, release=release, node_pools=node_pools)
