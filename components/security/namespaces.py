"""The security area's own namespaces and their Pod Security level (anything looser than
restricted says why)."""

from __future__ import annotations

from dataclasses import dataclass

from ..addresses import EXTERNAL_SECRETS_NAMESPACE, FALCO_NAMESPACE, GATEKEEPER_NAMESPACE, VAULT_NAMESPACE
from ..kube import PodSecurity


@dataclass(frozen=True)
class NamespaceSpec:
    name: str
    pod_security: PodSecurity
    reason: str = ""


SECURITY_NAMESPACES: tuple[NamespaceSpec, ...] = (
    NamespaceSpec(VAULT_NAMESPACE, "restricted"),
    NamespaceSpec(EXTERNAL_SECRETS_NAMESPACE, "restricted"),
    NamespaceSpec(GATEKEEPER_NAMESPACE, "restricted"),
    NamespaceSpec(
        FALCO_NAMESPACE,
        "privileged",
        "Falco's DaemonSet loads the modern_ebpf probe and reads host /proc and /sys: privileged by design",
    ),
)
