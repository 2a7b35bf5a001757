"""`store-platform graph STACK`: the order `pulumi up` creates a stack's resources in, as waves,
and its critical path, with estimated durations per resource type.

The engine starts a resource as soon as its dependencies and its provider exist, so the
from-scratch time of a stack is the longest chain of estimated durations through that graph.
Durations are typical creation times taken from the clouds' documentation and experience (a
managed control plane takes 8-15 minutes, a node pool 3-5, a Helm release waits for its pods);
they rank chains, they do not promise a time. Change them here, in one table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Estimated seconds to create one resource, by type token (exact) or prefix; first match wins.
DURATIONS: tuple[tuple[str, float], ...] = (
    ("aws:eks/cluster:Cluster", 600),  # EKS control plane: ~10 min
    ("aws:eks/nodeGroup:NodeGroup", 240),  # managed node group: ~4 min
    ("aws:eks/addon:Addon", 90),
    ("aws:eks/podIdentityAssociation", 10),
    ("aws:ec2/natGateway:NatGateway", 120),  # NAT gateway: ~2 min
    ("aws:kms/", 10),
    ("aws:", 5),
    ("gcp:container/cluster:Cluster", 480),  # GKE regional control plane: ~8 min
    ("gcp:container/nodePool:NodePool", 300),
    ("gcp:projects/service:Service", 60),  # enabling an API
    ("gcp:compute/routerNat", 60),
    ("gcp:kms/", 10),
    ("gcp:", 5),
    ("azure-native:containerservice:ManagedCluster", 600),  # AKS: ~10 min
    ("azure-native:containerservice:AgentPool", 300),
    ("azure-native:keyvault:Vault", 60),
    ("azure-native:network:", 15),
    ("azure-native:", 10),
    ("kubernetes:helm.sh/v3:Release", 120),  # chart install with atomic wait for pods
    ("kubernetes:", 3),  # a plain object: one API call
    ("tls:", 1),
    ("random:", 1),
    ("pulumi:providers:", 0),
)
# Releases known to take longer than the default above (many pods, CRDs, volumes, elections).
RELEASE_DURATIONS = {
    "kube-prometheus-stack": 240,
    "vault": 180,
    "loki": 180,
    "istiod": 90,
    "argo-cd": 150,
    "tempo": 150,
    "gatekeeper": 90,
    # CRD-only charts: API calls, no pods to wait for.
    "prometheus-operator-crds": 20,
    "base": 20,
    "linkerd-crds": 20,
}


def estimate(resource: dict[str, Any]) -> float:
    type_ = resource["type"]
    if type_ == "kubernetes:helm.sh/v3:Release":
        return RELEASE_DURATIONS.get(resource["inputs"].get("chart", ""), 120)
    for prefix, seconds in DURATIONS:
        if type_.startswith(prefix):
            return seconds
    return 0.0  # component resources: logical only


@dataclass(frozen=True)
class Node:
    urn: str
    type: str
    seconds: float
    needs: tuple[str, ...]  # URNs created before this one


@dataclass(frozen=True)
class Plan:
    nodes: dict[str, Node]
    finish: dict[str, float]  # estimated finish time of each resource, from zero
    wave: dict[str, int]  # 0 = can start at once
    critical_path: list[str]

    @property
    def total_seconds(self) -> float:
        return max(self.finish.values(), default=0.0)


def _is_custom(resource: dict[str, Any]) -> bool:
    return not resource["type"].startswith("store-platform:") and resource["type"] != "pulumi:pulumi:Stack"


def plan(resources: Iterable[dict[str, Any]]) -> Plan:
    resources = [r for r in resources if _is_custom(r)]
    urns = {r["urn"] for r in resources}
    nodes = {}
    for r in resources:
        needs = set(r["dependencies"]) | ({r["provider"]} if r["provider"] else set())
        nodes[r["urn"]] = Node(r["urn"], r["type"], estimate(r), tuple(sorted(needs & urns)))
    finish: dict[str, float] = {}
    wave: dict[str, int] = {}
    before: dict[str, str | None] = {}

    def visit(urn: str, stack: tuple[str, ...] = ()) -> float:
        if urn in finish:
            return finish[urn]
        if urn in stack:
            raise ValueError(f"dependency cycle through {urn}")
        node = nodes[urn]
        start, first = 0.0, None
        for need in node.needs:
            done = visit(need, (*stack, urn))
            if done > start or (first is None and done == start):
                start, first = done, need
        wave[urn] = 1 + max((wave[n] for n in node.needs), default=-1)
        before[urn] = first
        finish[urn] = start + node.seconds
        return finish[urn]

    for urn in sorted(nodes):
        visit(urn)
    last = max(finish, key=lambda u: (finish[u], u), default=None)
    path: list[str] = []
    while last is not None:
        path.append(last)
        last = before[last]
    return Plan(nodes, finish, wave, list(reversed(path)))


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def report(p: Plan, stack: str) -> str:
    waves: dict[int, list[str]] = {}
    for urn, w in p.wave.items():
        waves.setdefault(w, []).append(urn)
    lines = [
        f"stack {stack}: {len(p.nodes)} resources in {len(waves)} waves; "
        f"estimated from-scratch `pulumi up`: {p.total_seconds / 60:.1f} min"
    ]
    for w in sorted(waves):
        kinds: dict[str, int] = {}
        for urn in waves[w]:
            kinds[p.nodes[urn].type] = kinds.get(p.nodes[urn].type, 0) + 1
        summary = ", ".join(f"{n}x {t.rsplit(':', 1)[-1]}" for t, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        lines.append(f"  wave {w:2d}: {summary}")
    lines.append("critical path:")
    for urn in p.critical_path:
        node = p.nodes[urn]
        lines.append(f"  {p.finish[urn] / 60:6.1f} min  +{node.seconds / 60:4.1f}  {node.type}  {_short(urn)}")
    return "\n".join(lines)


def as_json(p: Plan) -> str:
    return json.dumps(
        {
            "totalSeconds": p.total_seconds,
            "criticalPath": p.critical_path,
            "waves": {u: p.wave[u] for u in sorted(p.wave)},
        },
        indent=2,
    )
