"""Security contexts meeting the Pod Security Standards' restricted profile, for the charts that
do not default to one (Tempo, Sloth, the OpenTelemetry Collector, Jaeger).

Kubernetes docs, "Pod Security Standards", restricted: non-root, no privilege escalation, all
capabilities dropped, the RuntimeDefault seccomp profile. (A read-only root filesystem is not
part of the profile and is left to each chart: some of these write to /tmp.)"""

from __future__ import annotations

from typing import Any

RESTRICTED_POD: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
