"""Network: every flow the platform needs is allowed by its NetworkPolicies, and nothing else
reaches its pods.

Blocked: each required flow (required_flows.py) is evaluated with NetworkPolicy semantics
(netpol.py) on the stack's dataplane. Over-open: every connection into a pod of a namespace the
platform polices (from any pod, the internet, the API server, the nodes) that the policies
allow but no required flow needs is charged to the rules that let it through.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..context import Platform
from ..endpoints import Endpoints, endpoints_of, namespace_labels
from ..findings import Finding
from ..netpol import Endpoint, Policies, Port, RuleRef
from ..required_flows import Flow, required_flows

# Dataplanes built on Cilium never match a pod's address with an ipBlock.
CILIUM_CLOUDS = frozenset({"gcp", "azure"})
_EXAMPLES = 3


def check(platform: Platform) -> list[Finding]:
    objects, config = platform.objects, platform.config
    ends = endpoints_of(objects, platform.pods, config)
    by_address = config.cloud not in CILIUM_CLOUDS
    flows = required_flows(objects, ends, config, ipblock_matches_pods=by_address)
    policies = Policies(objects.of_kind("NetworkPolicy"), namespace_labels(objects), ipblock_matches_pods=by_address)
    return [*blocked(flows, policies), *over_open(flows, ends, policies)]


def blocked(flows: list[Flow], policies: Policies) -> list[Finding]:
    findings = []
    seen: set[tuple[int, int, Port]] = set()
    by_address = Policies(policies_list(policies), policies.namespace_labels, ipblock_matches_pods=True)
    for flow in flows:
        key = (id(flow.source), id(flow.destination), flow.port)
        if not flow.required or key in seen:
            continue
        seen.add(key)
        verdict = policies.verdict(flow.source, flow.destination, flow.port)
        if verdict.allowed:
            continue
        sides = []
        if not verdict.egress_ok:
            sides.append(f"egress of {flow.source.namespace} (no rule of {_names(policies, flow.source, 'egress')})")
        if not verdict.ingress_ok:
            sides.append(
                f"ingress of {flow.destination.namespace} (no rule of {_names(policies, flow.destination, 'ingress')})"
            )
        fix = _fix_blocked(flow, verdict.egress_ok, verdict.ingress_ok)
        if not policies.ipblock_matches_pods and by_address.verdict(flow.source, flow.destination, flow.port).allowed:
            fix += "; an ipBlock does not match pods on a Cilium dataplane: select them by namespace/pod labels"
        findings.append(
            Finding("network", flow.describe(), f"needed ({flow.reason}) but blocked at {' and '.join(sides)}", fix)
        )
    return findings


def policies_list(policies: Policies) -> list[Any]:
    return [p for ps in policies.by_namespace.values() for p in ps]


def _names(policies: Policies, pod: Endpoint, direction: str) -> str:
    selecting = policies.selecting(pod, "ingress" if direction == "ingress" else "egress")
    return ", ".join(sorted(p.name for p in selecting))


def _fix_blocked(flow: Flow, egress_ok: bool, ingress_ok: bool) -> str:
    protocol, number = flow.port
    parts = []
    if not egress_ok:
        parts.append(f"allow egress from {flow.source.name} to {flow.destination.name} on {protocol} {number}")
    if not ingress_ok:
        parts.append(f"allow ingress to {flow.destination.name} from {flow.source.name} on {protocol} {number}")
    return " and ".join(parts) + " (a row with its reason in components/security/flows.py, or the service chart)"


def over_open(flows: list[Flow], ends: Endpoints, policies: Policies) -> list[Finding]:
    # By name: the replicas of one workload share it, and any of them may take a role that a
    # run-time label marks (Vault's active node), so a flow one replica needs, all may.
    needed = {(f.source.name, f.destination.name, f.port) for f in flows}
    policed = set(policies.by_namespace)
    sources = [*ends.all_pods(), ends.internet, ends.api_server, ends.nodes]
    destinations = [e for e in ends.pods if e.in_pod_network and e.namespace in policed]
    excess: dict[RuleRef, list[str]] = defaultdict(list)
    for destination in destinations:
        for _, protocol, number in destination.ports:
            port = (protocol, number)
            for source in sources:
                if source is destination or (source.name, destination.name, port) in needed:
                    continue
                verdict = policies.verdict(source, destination, port)
                if not verdict.allowed:
                    continue
                text = f"{source.name} -> {destination.name}:{number}/{protocol}"
                for rule in [*(verdict.egress or []), *(verdict.ingress or [])]:
                    excess[rule].append(text)
    findings = []
    for rule, examples in excess.items():
        shown = "; ".join(examples[:_EXAMPLES]) + (
            f" (+{len(examples) - _EXAMPLES} more)" if len(examples) > _EXAMPLES else ""
        )
        findings.append(
            Finding(
                "network",
                f"{rule.describe()} ({rule.policy.source})",
                f"allows {len(examples)} flows no required flow needs: {shown}",
                "narrow its peers and ports to the flows the platform needs",
            )
        )
    return findings
