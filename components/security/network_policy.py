"""Namespace-wide NetworkPolicies: default-deny plus one policy per row of the flow table."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..cluster import ClusterInfo
from ..config import PlatformConfig
from ..kube import MANAGED_BY
from .flows import ANY_NAMESPACE, Flow, Peer, flows_for

_NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by the API server on every namespace


def _peers(peer: Peer) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    if peer.namespace is None:
        return [
            k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
            for cidr in peer.cidrs
        ]
    namespaces = k8s.meta.v1.LabelSelectorArgs(
        match_labels=None if peer.namespace == ANY_NAMESPACE else {_NAMESPACE_NAME: peer.namespace}
    )
    pods = k8s.meta.v1.LabelSelectorArgs(match_labels=peer.pods) if peer.pods else None
    return [k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=namespaces, pod_selector=pods)]


def _ports(flow: Flow) -> list[k8s.networking.v1.NetworkPolicyPortArgs] | None:
    ports = [k8s.networking.v1.NetworkPolicyPortArgs(protocol=p, port=n) for p, n in flow.ports]
    return ports or None


def _spec(flow: Flow) -> k8s.networking.v1.NetworkPolicySpecArgs:
    selector = k8s.meta.v1.LabelSelectorArgs(match_labels=flow.pods or None)
    if flow.direction == "ingress":
        return k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=selector,
            policy_types=["Ingress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=_peers(flow.peer), ports=_ports(flow))],
        )
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=selector,
        policy_types=["Egress"],
        egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=_peers(flow.peer), ports=_ports(flow))],
    )


def namespace_policies(
    name: str,
    namespace: k8s.core.v1.Namespace,
    namespace_name: str,
    config: PlatformConfig,
    cluster: ClusterInfo,
    parent: pulumi.Resource,
) -> list[k8s.networking.v1.NetworkPolicy]:
    """Default-deny in `namespace_name` and the flow table's openings there."""
    opts = pulumi.ResourceOptions(parent=parent, provider=cluster.provider, depends_on=[namespace])

    def metadata(policy: str, reason: str) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=policy,
            namespace=namespace_name,
            labels=MANAGED_BY,
            annotations={"store-platform/reason": reason},
        )

    deny = k8s.networking.v1.NetworkPolicy(
        f"{name}-default-deny",
        metadata=metadata("default-deny", "nothing in or out unless a policy below allows it"),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
        ),
        opts=opts,
    )
    allows = [
        k8s.networking.v1.NetworkPolicy(
            f"{name}-{flow.name}",
            metadata=metadata(flow.name, flow.reason),
            spec=_spec(flow),
            opts=opts,
        )
        for flow in flows_for(namespace_name, config)
    ]
    return [deny, *allows]
