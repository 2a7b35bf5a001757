"""The core EKS add-ons, managed by EKS and pinned per Kubernetes minor, plus the encrypted
StorageClass add-ons' volumes use.

Pinned rather than "latest compatible" so an upgrade is a reviewed one-line change here, never
a side effect of a `pulumi up` (EKS does not update add-ons when the control plane is upgraded;
bump these rows together with `cluster.kubernetesVersion`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..info import Placement, ServiceAccountRef
from .iam import MANAGED_POLICY, OidcProvider, irsa_role

# Kubernetes minor -> add-on -> EKS add-on version. One row per minor components/config/clouds.py
# accepts for aws. Looked up 2026-11-30 from published EKS add-on versions (vpc-cni v1.22.4 and
# aws-ebs-csi-driver v1.63.1 are offered for 1.31 through 1.36; kube-proxy and coredns follow
# the minor). Confirm a new row with `aws eks describe-addon-versions --kubernetes-version <minor>
# --addon-name <add-on>` before merging it.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "kube-proxy": "v1.33.3-eksbuild.6",
        "coredns": "v1.12.4-eksbuild.1",
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    },
    "1.34": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "kube-proxy": "v1.34.0-eksbuild.2",
        # Never older than the previous minor's: an upgrade must not downgrade an add-on
        # (tests/test_upgrades.py proves the table monotonic). v1.12.4 is offered for 1.33 and 1.34.
        "coredns": "v1.12.4-eksbuild.1",
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    },
    "1.35": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "kube-proxy": "v1.35.0-eksbuild.2",
        "coredns": "v1.13.2-eksbuild.1",
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    },
    "1.36": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "kube-proxy": "v1.36.0-eksbuild.14",
        "coredns": "v1.14.3-eksbuild.3",
        "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    },
}

VPC_CNI_ACCOUNT = ServiceAccountRef("kube-system", "aws-node")
EBS_CSI_ACCOUNT = ServiceAccountRef("kube-system", "ebs-csi-controller-sa")
STORAGE_CLASS = "gp3-encrypted"


def vpc_cni_configuration() -> dict[str, object]:
    # Enforces Kubernetes NetworkPolicy with the CNI's eBPF agent (CIS EKS Benchmark 5.4.4;
    # EKS Best Practices Guide, Security > Network security > "Network policy"), so the
    # platform's default-deny policies take effect.
    return {"enableNetworkPolicy": "true"}


def coredns_configuration(placement: Placement) -> dict[str, object]:
    return {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations}


def ebs_csi_configuration(placement: Placement) -> dict[str, object]:
    # The controller is a platform add-on (system pool). The node plugin must run on every node,
    # tainted or not, or volumes could not attach on the system pool (Vault, Prometheus).
    return {
        "controller": {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations},
        "node": {"tolerateAllTaints": True},
    }


@dataclass(frozen=True)
class CoreAddons:
    networking: list[aws.eks.Addon]  # needed before nodes can become Ready
    scheduled: list[aws.eks.Addon]  # run as pods: need nodes first


def _addon(
    name: str,
    addon: str,
    cluster: aws.eks.Cluster,
    version: str,
    configuration: dict[str, object] | None,
    role: aws.iam.Role | None,
    opts: pulumi.ResourceOptions,
) -> aws.eks.Addon:
    return aws.eks.Addon(
        f"{name}-{addon}",
        cluster_name=cluster.name,
        addon_name=addon,
        addon_version=version,
        configuration_values=json.dumps(configuration, sort_keys=True) if configuration else None,
        service_account_role_arn=role.arn if role else None,
        # The configuration here is the whole truth: overwrite whatever drifted in the cluster.
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=opts,
    )


def build_networking_addons(
    name: str,
    kubernetes_version: str,
    cluster: aws.eks.Cluster,
    oidc: OidcProvider,
    provider: aws.Provider,
    parent: pulumi.Resource,
) -> list[aws.eks.Addon]:
    """VPC CNI (with its own IRSA role) and kube-proxy: nodes stay NotReady without them, so they
    are installed before the node groups."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    versions = ADDON_VERSIONS[kubernetes_version]
    cni_role = irsa_role(f"{name}-vpc-cni", oidc, VPC_CNI_ACCOUNT, "VPC CNI: assigns pod addresses", opts)
    cni_policy = aws.iam.RolePolicyAttachment(
        f"{name}-vpc-cni-policy", role=cni_role.name, policy_arn=f"{MANAGED_POLICY}/AmazonEKS_CNI_Policy", opts=opts
    )
    return [
        _addon(
            name,
            "vpc-cni",
            cluster,
            versions["vpc-cni"],
            vpc_cni_configuration(),
            cni_role,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cni_policy])),
        ),
        _addon(name, "kube-proxy", cluster, versions["kube-proxy"], None, None, opts),
    ]


def build_scheduled_addons(
    name: str,
    kubernetes_version: str,
    cluster: aws.eks.Cluster,
    oidc: OidcProvider,
    placement: Placement,
    provider: aws.Provider,
    parent: pulumi.Resource,
    nodes: Sequence[pulumi.Resource],
) -> list[aws.eks.Addon]:
    """CoreDNS and the EBS CSI driver (with its own IRSA role), on the system pool once it exists."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    versions = ADDON_VERSIONS[kubernetes_version]
    ebs_role = irsa_role(f"{name}-ebs-csi", oidc, EBS_CSI_ACCOUNT, "EBS CSI driver: manages volumes", opts)
    ebs_policy = aws.iam.RolePolicyAttachment(
        f"{name}-ebs-csi-policy",
        role=ebs_role.name,
        policy_arn=f"{MANAGED_POLICY}/service-role/AmazonEBSCSIDriverPolicy",
        opts=opts,
    )
    on_nodes = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(nodes)))
    return [
        _addon(name, "coredns", cluster, versions["coredns"], coredns_configuration(placement), None, on_nodes),
        _addon(
            name,
            "aws-ebs-csi-driver",
            cluster,
            versions["aws-ebs-csi-driver"],
            ebs_csi_configuration(placement),
            ebs_role,
            pulumi.ResourceOptions.merge(on_nodes, pulumi.ResourceOptions(depends_on=[ebs_policy])),
        ),
    ]


def build_storage_class(
    name: str, prod: bool, k8s_provider: k8s.Provider, parent: pulumi.Resource
) -> k8s.storage.v1.StorageClass:
    """gp3 volumes encrypted at rest, the cluster default: EKS no longer marks gp2 as default from
    Kubernetes 1.30, and gp2 volumes are not encrypted unless the account enforces it."""
    return k8s.storage.v1.StorageClass(
        f"{name}-storage-class",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=STORAGE_CLASS, annotations={"storageclass.kubernetes.io/is-default-class": "true"}
        ),
        provisioner="ebs.csi.aws.com",
        parameters={"type": "gp3", "encrypted": "true"},
        # Prod keeps a volume when its claim is deleted by mistake (Vault's Raft data).
        reclaim_policy="Retain" if prod else "Delete",
        # Bind where the pod lands, so the volume is in the pod's zone.
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        opts=pulumi.ResourceOptions(parent=parent, provider=k8s_provider),
    )
