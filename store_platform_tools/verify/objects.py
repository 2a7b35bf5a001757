"""Kubernetes objects as verify sees them: the body, where it came from, and quick look-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

# Built-in kinds that are not namespaced; custom kinds take their scope from their CRD.
CLUSTER_SCOPED_BUILTINS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


@dataclass(frozen=True, eq=False)
class KubeObject:
    body: dict[str, Any]
    source: str  # "program", or "release <namespace>/<name>"
    path: str  # the template it came from, for a release's objects
    release_namespace: str | None = None  # where Helm puts it when it names no namespace

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def metadata(self) -> dict[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        return self.metadata.get("namespace")

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.get("annotations") or {}

    @property
    def spec(self) -> dict[str, Any]:
        return self.body.get("spec") or {}

    @cached_property
    def ref(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"

    def placed_in(self, namespace: str) -> KubeObject:
        return replace(self, release_namespace=namespace)

    def describe(self) -> str:
        """The object and where it comes from, as findings name it."""
        origin = self.source if self.source == "program" else f"{self.source} ({self.path})"
        return f"{self.ref} [{origin}]"


def default_namespaces(objects: list[KubeObject]) -> list[KubeObject]:
    """Give each namespaced object of a release the release's namespace where it names none."""
    cluster_scoped = set(CLUSTER_SCOPED_BUILTINS) | {
        (o.spec.get("names") or {}).get("kind", "")
        for o in objects
        if o.kind == "CustomResourceDefinition" and o.spec.get("scope") == "Cluster"
    }
    out = []
    for o in objects:
        if o.release_namespace and not o.namespace and o.kind not in cluster_scoped:
            body = {**o.body, "metadata": {**o.metadata, "namespace": o.release_namespace}}
            o = replace(o, body=body)
        out.append(o)
    return out


class ObjectSet:
    """All objects of a stack as it will run, indexed for the checks."""

    def __init__(self, objects: Iterable[KubeObject]):
        self.objects = list(objects)
        self._by_kind: dict[str, list[KubeObject]] = defaultdict(list)
        for o in self.objects:
            self._by_kind[o.kind].append(o)

    def __iter__(self) -> Iterator[KubeObject]:
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        return [o for k in kinds for o in self._by_kind.get(k, [])]

    def get(self, kind: str, namespace: str | None, name: str) -> KubeObject | None:
        for o in self._by_kind.get(kind, []):
            if o.name == name and o.namespace == namespace:
                return o
        return None

    @cached_property
    def namespaces(self) -> dict[str, KubeObject]:
        return {o.name: o for o in self.of_kind("Namespace")}

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """A namespace's labels as the API server sets them (it adds kubernetes.io/metadata.name)."""
        ns = self.namespaces.get(namespace)
        labels = dict(ns.labels) if ns else {}
        labels["kubernetes.io/metadata.name"] = namespace
        return labels


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics; None matches nothing, {} matches everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def map_selector_matches(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    """A Service's plain map selector: every pair present; an empty or missing one selects nothing."""
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())
