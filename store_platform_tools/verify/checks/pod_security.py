"""Every pod passes the Pod Security level its namespace enforces.

The level is the namespace's `pod-security.kubernetes.io/enforce` label, at the policy version of
`enforce-version` (default: the cluster's own Kubernetes version, i.e. "latest"). A namespace the
platform does not create (kube-system, default...) has the cluster default, which EKS, GKE, AKS
and kind leave at privileged.
"""

from __future__ import annotations

from ..context import Platform
from ..findings import Finding
from ..pss import LEVELS, PodView, Version, evaluate, parse_version

ENFORCE = "pod-security.kubernetes.io/enforce"
CLUSTER_DEFAULT_LEVEL = "privileged"


def namespace_policy(platform: Platform, namespace: str) -> tuple[str, Version]:
    cluster_version = parse_version(platform.config.cluster.kubernetes_version)
    ns = platform.objects.namespaces.get(namespace)
    labels = ns.labels if ns else {}
    level = labels.get(ENFORCE, CLUSTER_DEFAULT_LEVEL)
    pinned = labels.get(f"{ENFORCE}-version", "latest")
    version = cluster_version if pinned == "latest" else min(parse_version(pinned), cluster_version)
    return level, version


def check(platform: Platform) -> list[Finding]:
    findings = []
    for pod in platform.pods:
        level, version = namespace_policy(platform, pod.namespace)
        if level not in LEVELS:
            findings.append(
                Finding(
                    "pod-security",
                    f"Namespace {pod.namespace}",
                    f"enforce level {level!r} is not one of {', '.join(LEVELS)}",
                    "label the namespace with a valid level",
                )
            )
            continue
        for v in evaluate(PodView(pod.metadata, pod.spec), level, version):
            where = f", container {v.container}" if v.container else ""
            injected = " (injected by the mesh)" if v.container in pod.injected else ""
            findings.append(
                Finding(
                    "pod-security",
                    f"{pod.describe()}{where}{injected}",
                    f"{level} {v.control}: {v.detail} (namespace {pod.namespace} enforces {level})",
                    f"{v.fix}, or loosen the namespace's level with a reason if the workload truly needs it",
                )
            )
    return findings
