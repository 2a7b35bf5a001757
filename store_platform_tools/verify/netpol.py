"""NetworkPolicy semantics (networking.k8s.io/v1) over endpoints: may this connection be made?

The rules, as the API documents them and network-config-analyzer models them:

- A pod is isolated for a direction when any policy in its namespace whose policyTypes include
  that direction selects it (policyTypes defaults to Ingress, plus Egress when the policy has
  egress rules). Isolated: only what the union of those policies' rules allows; else everything.
- A connection needs the source's egress AND the destination's ingress to allow it.
- A rule with no peers allows every peer; with no ports, every port. A peer's podSelector alone
  means pods in the policy's namespace; namespaceSelector alone, every pod in the selected
  namespaces; both, pods matching both. ipBlock matches addresses (cidr minus except).
- A named port resolves against the destination pod's container ports; endPort makes a range.
- hostNetwork pods and nodes are not subject to pod policies and selectors never match them;
  they are reached (and seen) only through ipBlock.
- Dataplanes differ on ipBlock for pod addresses: Cilium (GKE Dataplane V2, AKS) never matches a
  pod with an ipBlock, so a pod-to-pod flow allowed only by ipBlock is blocked there. Iptables
  and eBPF-by-address dataplanes (EKS VPC CNI network policy agent, kind/k3s) match pod
  addresses like any other.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .objects import KubeObject, selector_matches

Protocol = Literal["TCP", "UDP", "SCTP"]
Port = tuple[str, int]  # (protocol, number)
EndpointKind = Literal["pod", "node", "address"]


@dataclass(frozen=True, eq=False)
class Endpoint:
    """One end of a connection: a pod (labels, namespace, named ports), a node, or an address."""

    name: str
    kind: EndpointKind
    ip: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ports: tuple[tuple[str, str, int], ...] = ()  # (name, protocol, number) it listens on
    host_network: bool = False

    @property
    def in_pod_network(self) -> bool:
        """Subject to pod policies and matched by pod/namespace selectors."""
        return self.kind == "pod" and not self.host_network

    def named_port(self, name: str, protocol: str) -> int | None:
        return next((n for pname, proto, n in self.ports if pname == name and proto == protocol), None)


@dataclass(frozen=True)
class RuleRef:
    """A rule of a policy: what a finding names."""

    policy: KubeObject
    direction: Literal["ingress", "egress"]
    index: int

    def describe(self) -> str:
        return f"NetworkPolicy {self.policy.namespace}/{self.policy.name} {self.direction}[{self.index}]"


def policy_types(spec: dict[str, Any]) -> set[str]:
    types = spec.get("policyTypes")
    if types:
        return set(types)
    return {"Ingress", "Egress"} if spec.get("egress") else {"Ingress"}


def _in_block(ip: str, block: dict[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    network = ipaddress.ip_network(block["cidr"], strict=False)
    if address.version != network.version or address not in network:
        return False
    return not any(address in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])


class Policies:
    """The NetworkPolicies of a cluster, evaluated for one dataplane."""

    def __init__(
        self,
        policies: Iterable[KubeObject],
        namespace_labels: dict[str, dict[str, str]],
        *,
        ipblock_matches_pods: bool = True,
    ):
        self.by_namespace: dict[str, list[KubeObject]] = defaultdict(list)
        for p in policies:
            self.by_namespace[p.namespace or "default"].append(p)
        self.namespace_labels = namespace_labels
        self.ipblock_matches_pods = ipblock_matches_pods
        self._selecting: dict[tuple[int, str], list[KubeObject]] = {}

    def _ns_labels(self, namespace: str) -> dict[str, str]:
        return {**self.namespace_labels.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    def selecting(self, pod: Endpoint, direction: Literal["ingress", "egress"]) -> list[KubeObject]:
        """The policies that isolate `pod` for `direction` (empty: not isolated)."""
        key = (id(pod), direction)
        if key not in self._selecting:
            kind = "Ingress" if direction == "ingress" else "Egress"
            self._selecting[key] = (
                [
                    p
                    for p in self.by_namespace.get(pod.namespace or "", [])
                    if kind in policy_types(p.spec) and selector_matches(p.spec.get("podSelector") or {}, pod.labels)
                ]
                if pod.in_pod_network
                else []
            )
        return self._selecting[key]

    def peer_matches(self, peer: dict[str, Any], policy_namespace: str, other: Endpoint) -> bool:
        if "ipBlock" in peer:
            if other.in_pod_network and not self.ipblock_matches_pods:
                return False
            return _in_block(other.ip, peer["ipBlock"])
        if not other.in_pod_network:
            return False
        if "namespaceSelector" in peer:
            if not selector_matches(peer["namespaceSelector"] or {}, self._ns_labels(other.namespace or "")):
                return False
        elif other.namespace != policy_namespace:
            return False
        return "podSelector" not in peer or selector_matches(peer["podSelector"] or {}, other.labels)

    @staticmethod
    def port_matches(rule_ports: list[dict[str, Any]] | None, destination: Endpoint, port: Port) -> bool:
        if not rule_ports:
            return True
        protocol, number = port
        for p in rule_ports:
            if (p.get("protocol") or "TCP") != protocol:
                continue
            value = p.get("port")
            if value is None:
                return True
            if isinstance(value, str) and not value.isdigit():
                if destination.named_port(value, protocol) == number:
                    return True
                continue
            low = int(value)
            if low <= number <= int(p.get("endPort") or low):
                return True
        return False

    def rules_allowing(
        self, direction: Literal["ingress", "egress"], pod: Endpoint, other: Endpoint, destination: Endpoint, port: Port
    ) -> list[RuleRef] | None:
        """The rules that let `other` in (or let `pod` out to it); None when `pod` is not isolated."""
        policies = self.selecting(pod, direction)
        if not policies:
            return None
        peers_key = "from" if direction == "ingress" else "to"
        found = []
        for policy in policies:
            for i, rule in enumerate(policy.spec.get(direction) or []):
                peers = rule.get(peers_key)
                if peers and not any(self.peer_matches(peer, policy.namespace or "", other) for peer in peers):
                    continue
                if self.port_matches(rule.get("ports"), destination, port):
                    found.append(RuleRef(policy, direction, i))
        return found

    def verdict(self, source: Endpoint, destination: Endpoint, port: Port) -> Verdict:
        egress = self.rules_allowing("egress", source, destination, destination, port)
        ingress = self.rules_allowing("ingress", destination, source, destination, port)
        return Verdict(egress, ingress)


@dataclass(frozen=True)
class Verdict:
    egress: list[RuleRef] | None  # None: the source is not isolated for egress
    ingress: list[RuleRef] | None

    @property
    def egress_ok(self) -> bool:
        return self.egress is None or bool(self.egress)

    @property
    def ingress_ok(self) -> bool:
        return self.ingress is None or bool(self.ingress)

    @property
    def allowed(self) -> bool:
        return self.egress_ok and self.ingress_ok
