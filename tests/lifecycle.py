"""Before/after renders of one stack, classified as the engine would plan them: created, deleted,
updated in place, or replaced (a property in REPLACED_BY changed), per the provider docs."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from components.cluster.pool_versions import REPLACED_BY
from store_platform_tools.render import RenderResult

# What holds data or serves traffic: never deleted or replaced without a successor.
STATEFUL_OR_SERVING = (
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerservice:AgentPool",
    "azure-native:keyvault:Vault",
    "azure-native:storage:StorageAccount",
    "kubernetes:helm.sh/v3:Release",
    "kubernetes:core/v1:PersistentVolumeClaim",
)
# The property holding a resource's physical name, where it has one the program sets.
PHYSICAL_NAME = {
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "gcp:container/nodePool:NodePool": "name",
    "azure-native:containerservice:AgentPool": "agentPoolName",
}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def without(inputs: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """`inputs` less the ignoreChanges `paths` (`a.b`, `a[0].b`), as the engine leaves them out of a diff."""
    out = copy.deepcopy(inputs)
    for path in paths:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
        node: Any = out
        for key in keys[:-1]:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(node, dict):
                node.pop(keys[-1], None)
            elif isinstance(node, list) and isinstance(keys[-1], int) and keys[-1] < len(node):
                node[keys[-1]] = None
    return out


def _forces(type_: str, prop: str) -> bool:
    return any(prop == f.prop or prop.startswith(f.prop + ".") for f in REPLACED_BY.get(type_, ()))


@dataclass(frozen=True)
class Plan:
    created: dict[str, dict[str, Any]]
    deleted: dict[str, dict[str, Any]]
    updated: dict[str, list[str]]  # urn -> changed properties (in place)
    replaced: dict[str, list[str]]  # urn -> the replacement-forcing properties that changed
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]

    def of_type(self, kind: dict[str, Any], type_: str) -> list[str]:
        return sorted(urn for urn in kind if urn.split("::")[-2].endswith(type_))

    def changed(self) -> set[str]:
        return {*self.updated, *self.replaced, *self.created, *self.deleted}


def plan(before: RenderResult, after: RenderResult) -> Plan:
    b = {r["urn"]: r for r in before.resources}
    a = {r["urn"]: r for r in after.resources}
    updated: dict[str, list[str]] = {}
    replaced: dict[str, list[str]] = {}
    for urn in sorted(b.keys() & a.keys()):
        ignored_paths = a[urn].get("ignoreChanges") or []
        old = flatten(without(b[urn]["inputs"], ignored_paths))
        new = flatten(without(a[urn]["inputs"], ignored_paths))
        ignored = set(ignored_paths)
        diff = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k) and k not in ignored)
        if not diff:
            continue
        forcing = [k for k in diff if _forces(a[urn]["type"], k)]
        if forcing:
            replaced[urn] = forcing
        else:
            updated[urn] = diff
    return Plan(
        created={u: a[u] for u in a.keys() - b.keys()},
        deleted={u: b[u] for u in b.keys() - a.keys()},
        updated=updated,
        replaced=replaced,
        before=b,
        after=a,
    )


def unsafe_removals(p: Plan) -> list[str]:
    """Stateful or serving resources deleted, or replaced, with no successor up first: a deleted
    one needs a created one of its type; a replaced one needs a new physical name (so the new
    one can exist beside the old, create-before-delete)."""
    problems = []
    for urn, res in p.deleted.items():
        if res["type"] in STATEFUL_OR_SERVING and not any(c["type"] == res["type"] for c in p.created.values()):
            problems.append(f"deleted without successor: {urn}")
    for urn in p.replaced:
        type_ = p.after[urn]["type"]
        if type_ not in STATEFUL_OR_SERVING:
            continue
        field = PHYSICAL_NAME.get(type_)
        if field is None or p.before[urn]["inputs"].get(field) == p.after[urn]["inputs"].get(field):
            problems.append(f"replaced in place of itself (delete before create): {urn}")
        if p.after[urn].get("protect"):
            problems.append(f"replacing a protected resource: {urn}")
    return problems
