"""Pods as the API server will create them: workload templates expanded, mesh proxies injected.

Pod Security, admission, network and wiring checks look at pods, not at Deployments: a Pod
Security violation in a Deployment's template is only refused when the ReplicaSet creates the pod.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .mesh_injection import Injector, injector_of
from .objects import KubeObject, ObjectSet
from .operators import operator_pods

# kind -> path from the object to its pod template
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Rollout": ("spec", "template"),  # Argo Rollouts; a Rollout with workloadRef uses the referenced template
}
WORKLOAD_KINDS = frozenset(_TEMPLATE_PATHS)


@dataclass(frozen=True)
class Pod:
    """One pod a workload (or a bare Pod object) creates, with what the mesh injects."""

    owner: KubeObject
    namespace: str
    metadata: dict[str, Any]
    spec: dict[str, Any]
    injected: tuple[str, ...] = ()  # names of containers the mesh added

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.get("annotations") or {}

    @property
    def containers(self) -> list[dict[str, Any]]:
        return list(self.spec.get("containers") or [])

    @property
    def init_containers(self) -> list[dict[str, Any]]:
        return list(self.spec.get("initContainers") or [])

    def all_containers(self) -> list[dict[str, Any]]:
        return self.init_containers + self.containers + list(self.spec.get("ephemeralContainers") or [])

    def ports(self) -> list[dict[str, Any]]:
        """Every container port, init sidecars (restartPolicy: Always) included."""
        return [p for c in self.all_containers() for p in c.get("ports") or []]

    def as_object(self) -> dict[str, Any]:
        """The pod as an API object (for schema and admission checks)."""
        meta = {**self.metadata, "namespace": self.namespace}
        meta.setdefault("name", f"{self.owner.name}-pod")
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": self.spec}

    def describe(self) -> str:
        return f"pod of {self.owner.describe()}"


def pod_template(obj: KubeObject, objects: ObjectSet) -> dict[str, Any] | None:
    if obj.kind == "Rollout" and obj.spec.get("workloadRef"):
        ref = obj.spec["workloadRef"]
        target = objects.get(ref.get("kind", "Deployment"), obj.namespace, ref["name"])
        return pod_template(target, objects) if target else None
    node: Any = obj.body
    for key in _TEMPLATE_PATHS.get(obj.kind, ()):
        node = (node or {}).get(key)
    return node if isinstance(node, dict) else None


def expand(objects: ObjectSet) -> list[Pod]:
    """The pods of every workload and bare Pod, with mesh injection applied as the injector would."""
    injector = injector_of(objects)
    pods: list[Pod] = []
    for obj in objects:
        if obj.kind == "Pod":
            template: dict[str, Any] | None = {"metadata": obj.metadata, "spec": obj.spec}
        elif obj.kind in WORKLOAD_KINDS:
            if obj.kind == "Deployment" and _scaled_by_rollout(obj, objects):
                continue  # a Rollout's workloadRef target runs at zero replicas; the Rollout's pods count
            template = pod_template(obj, objects)
        else:
            continue
        if not template or not obj.namespace:
            continue
        for ordinal_template in _replicas(obj, template):
            pods.append(_inject(obj, ordinal_template, objects, injector))
    for resource, template in operator_pods(objects):
        pods.append(_inject(resource, template, objects, injector))
    return pods


# Labels a controller puts on running pods, that Services select by: (pods they go on, label,
# value for the pod of each StatefulSet ordinal, who sets it).
RUNTIME_LABELS = (
    (
        {"app.kubernetes.io/name": "vault", "component": "server"},
        "vault-active",
        lambda ordinal: "true" if ordinal == 0 else "false",
        "Vault's Kubernetes service registration marks the active node (one) and the standbys",
    ),
    (
        {"app.kubernetes.io/name": "vault", "component": "server"},
        "vault-sealed",
        lambda _: "false",
        "Vault's Kubernetes service registration: an unsealed node serves",
    ),
)


def _replicas(obj: KubeObject, template: dict[str, Any]) -> list[dict[str, Any]]:
    """One pod template per StatefulSet ordinal (labelled as the StatefulSet controller labels them,
    plus the labels controllers set at run time); one for any other workload."""
    if obj.kind != "StatefulSet":
        return [_job_labels(obj, copy.deepcopy(template))]
    out = []
    for ordinal in range(int(obj.spec.get("replicas", 1) or 1)):
        pod = copy.deepcopy(template)
        labels = pod.setdefault("metadata", {}).setdefault("labels", {})
        labels["statefulset.kubernetes.io/pod-name"] = f"{obj.name}-{ordinal}"
        labels["apps.kubernetes.io/pod-index"] = str(ordinal)
        for match, key, value, _ in RUNTIME_LABELS:
            if all(labels.get(k) == v for k, v in match.items()):
                labels[key] = value(ordinal)
        out.append(pod)
    return out


def _job_labels(obj: KubeObject, template: dict[str, Any]) -> dict[str, Any]:
    """The Job controller labels a Job's pods with the Job's name (policies and probes select them by it)."""
    if obj.kind == "Job":
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels |= {"batch.kubernetes.io/job-name": obj.name, "job-name": obj.name}
    return template


def _scaled_by_rollout(deployment: KubeObject, objects: ObjectSet) -> bool:
    return any(
        (r.spec.get("workloadRef") or {}).get("name") == deployment.name and r.namespace == deployment.namespace
        for r in objects.of_kind("Rollout")
    )


def _inject(owner: KubeObject, template: dict[str, Any], objects: ObjectSet, injector: Injector | None) -> Pod:
    namespace = owner.namespace or ""
    metadata = template.get("metadata") or {}
    spec = template.get("spec") or {}
    injected: tuple[str, ...] = ()
    if injector is not None and injector.selects(namespace, metadata, objects):
        spec, injected = injector.inject(metadata, spec)
    return Pod(owner, namespace, metadata, spec, injected)
