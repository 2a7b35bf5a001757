"""The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards),
evaluated on a pod spec as Pod Security Admission does at a given policy version.

Each control is a function from the pod to the violations it finds. Controls that appeared (or
changed) in a Kubernetes release say so with `since`: a cluster at an older version does not
enforce them. No maintained Python library implements this, so it is written out here, one
control per function, each with a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Version = tuple[int, int]
LEVELS = ("privileged", "baseline", "restricted")


@dataclass(frozen=True)
class Violation:
    control: str
    container: str | None  # None: a pod-level field
    detail: str
    fix: str


@dataclass(frozen=True)
class PodView:
    """The parts of a pod the standards read."""

    metadata: dict[str, Any]
    spec: dict[str, Any]

    @property
    def context(self) -> dict[str, Any]:
        return self.spec.get("securityContext") or {}

    def containers(self) -> Iterator[dict[str, Any]]:
        for key in ("initContainers", "containers", "ephemeralContainers"):
            yield from self.spec.get(key) or []

    @property
    def windows(self) -> bool:
        return (self.spec.get("os") or {}).get("name") == "windows"


def _ctx(container: dict[str, Any]) -> dict[str, Any]:
    return container.get("securityContext") or {}


def _levels(pod: PodView) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """The pod's security context, then each container's, with the container's name."""
    yield None, pod.context
    for c in pod.containers():
        yield c.get("name", "?"), _ctx(c)


# --- baseline ----------------------------------------------------------------------------------


def host_process(pod: PodView, version: Version) -> Iterator[Violation]:
    for name, ctx in _levels(pod):
        if (ctx.get("windowsOptions") or {}).get("hostProcess"):
            yield Violation("hostProcess", name, "windowsOptions.hostProcess is true", "drop hostProcess")


def host_namespaces(pod: PodView, version: Version) -> Iterator[Violation]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(field):
            yield Violation("host namespaces", None, f"{field} is true", f"unset {field}")


def privileged(pod: PodView, version: Version) -> Iterator[Violation]:
    for c in pod.containers():
        if _ctx(c).get("privileged"):
            yield Violation("privileged", c.get("name"), "privileged is true", "set privileged: false")


BASELINE_CAPABILITIES = frozenset(
    [
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ]
)


def capabilities_baseline(pod: PodView, version: Version) -> Iterator[Violation]:
    for c in pod.containers():
        extra = sorted(set((_ctx(c).get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES)
        if extra:
            yield Violation("capabilities", c.get("name"), f"adds {', '.join(extra)}", "do not add these capabilities")


def host_path(pod: PodView, version: Version) -> Iterator[Violation]:
    for v in pod.spec.get("volumes") or []:
        if "hostPath" in v:
            yield Violation(
                "hostPath volumes", None, f"volume {v.get('name')} is a hostPath", "use another volume type"
            )


def host_ports(pod: PodView, version: Version) -> Iterator[Violation]:
    for c in pod.containers():
        ports = sorted({p["hostPort"] for p in c.get("ports") or [] if p.get("hostPort")})
        if ports:
            yield Violation("host ports", c.get("name"), f"hostPort {ports}", "drop hostPort; expose through a Service")


_HANDLERS = ("livenessProbe", "readinessProbe", "startupProbe")


def host_probes(pod: PodView, version: Version) -> Iterator[Violation]:
    """Probes and lifecycle hooks must not name a host (a way to reach other hosts from the kubelet)."""
    for c in pod.containers():
        handlers = [c.get(p) or {} for p in _HANDLERS]
        handlers += [h or {} for h in (c.get("lifecycle") or {}).values()]
        for h in handlers:
            for action in ("httpGet", "tcpSocket"):
                if (h.get(action) or {}).get("host"):
                    yield Violation(
                        "host probes / lifecycle hooks", c.get("name"), f"{action}.host is set", "leave host unset"
                    )


def apparmor(pod: PodView, version: Version) -> Iterator[Violation]:
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    for key, value in (pod.metadata.get("annotations") or {}).items():
        if key.startswith(prefix) and value != "runtime/default" and not value.startswith("localhost/"):
            yield Violation("AppArmor", key[len(prefix) :], f"annotation profile {value}", "use runtime/default")
    if version >= (1, 30):  # the appArmorProfile field
        for name, ctx in _levels(pod):
            kind = (ctx.get("appArmorProfile") or {}).get("type")
            if kind not in (None, "RuntimeDefault", "Localhost"):
                yield Violation("AppArmor", name, f"appArmorProfile.type {kind}", "use RuntimeDefault")


def selinux(pod: PodView, version: Version) -> Iterator[Violation]:
    types = {"", "container_t", "container_init_t", "container_kvm_t"}
    if version >= (1, 31):
        types.add("container_engine_t")
    for name, ctx in _levels(pod):
        options = ctx.get("seLinuxOptions") or {}
        if options.get("type") not in types | {None}:
            yield Violation("SELinux", name, f"seLinuxOptions.type {options['type']}", "leave the SELinux type unset")
        for field in ("user", "role"):
            if options.get(field):
                yield Violation("SELinux", name, f"seLinuxOptions.{field} is set", f"unset seLinuxOptions.{field}")


def proc_mount(pod: PodView, version: Version) -> Iterator[Violation]:
    for c in pod.containers():
        mount = _ctx(c).get("procMount")
        if mount not in (None, "Default"):
            yield Violation("/proc mount", c.get("name"), f"procMount {mount}", "use the Default procMount")


def seccomp_baseline(pod: PodView, version: Version) -> Iterator[Violation]:
    for name, ctx in _levels(pod):
        if (ctx.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield Violation("seccomp", name, "seccompProfile Unconfined", "use seccompProfile RuntimeDefault")


_SYSCTLS: dict[str, Version] = {
    "kernel.shm_rmid_forced": (1, 0),
    "net.ipv4.ip_local_port_range": (1, 0),
    "net.ipv4.ip_unprivileged_port_start": (1, 0),
    "net.ipv4.tcp_syncookies": (1, 0),
    "net.ipv4.ping_group_range": (1, 0),
    "net.ipv4.ip_local_reserved_ports": (1, 27),
    "net.ipv4.tcp_keepalive_time": (1, 29),
    "net.ipv4.tcp_fin_timeout": (1, 29),
    "net.ipv4.tcp_keepalive_intvl": (1, 29),
    "net.ipv4.tcp_keepalive_probes": (1, 29),
}


def sysctls(pod: PodView, version: Version) -> Iterator[Violation]:
    for s in pod.context.get("sysctls") or []:
        since = _SYSCTLS.get(s.get("name", ""))
        if since is None or version < since:
            yield Violation("sysctls", None, f"sysctl {s.get('name')}", "set only the safe sysctls")


# --- restricted --------------------------------------------------------------------------------

RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)


def volume_types(pod: PodView, version: Version) -> Iterator[Violation]:
    for v in pod.spec.get("volumes") or []:
        kinds = sorted(set(v) - {"name"} - RESTRICTED_VOLUMES)
        if kinds:
            yield Violation(
                "volume types", None, f"volume {v.get('name')} is {', '.join(kinds)}", "use an allowed volume type"
            )


def privilege_escalation(pod: PodView, version: Version) -> Iterator[Violation]:
    if pod.windows and version >= (1, 25):
        return
    for c in pod.containers():
        if _ctx(c).get("allowPrivilegeEscalation") is not False:
            yield Violation(
                "privilege escalation", c.get("name"), "allowPrivilegeEscalation is not false", "set it to false"
            )


def run_as_non_root(pod: PodView, version: Version) -> Iterator[Violation]:
    pod_level = pod.context.get("runAsNonRoot")
    if pod_level is False:
        yield Violation("runAsNonRoot", None, "runAsNonRoot is false", "set runAsNonRoot: true")
    for c in pod.containers():
        own = _ctx(c).get("runAsNonRoot")
        if own is False or (own is None and pod_level is not True):
            yield Violation(
                "runAsNonRoot", c.get("name"), f"runAsNonRoot is {own}", "set runAsNonRoot: true (pod or container)"
            )


def run_as_user(pod: PodView, version: Version) -> Iterator[Violation]:
    for name, ctx in _levels(pod):
        if ctx.get("runAsUser") == 0:
            yield Violation("runAsUser", name, "runAsUser is 0", "run as a non-zero user")


def seccomp_restricted(pod: PodView, version: Version) -> Iterator[Violation]:
    if pod.windows and version >= (1, 25):
        return
    allowed = ("RuntimeDefault", "Localhost")
    pod_type = (pod.context.get("seccompProfile") or {}).get("type")
    if pod_type is not None and pod_type not in allowed:
        yield Violation("seccomp", None, f"seccompProfile {pod_type}", "use seccompProfile RuntimeDefault")
    for c in pod.containers():
        own = (_ctx(c).get("seccompProfile") or {}).get("type")
        if (own is None and pod_type not in allowed) or (own is not None and own not in allowed):
            yield Violation(
                "seccomp",
                c.get("name"),
                f"seccompProfile {own}",
                "set seccompProfile RuntimeDefault (pod or container)",
            )


def capabilities_restricted(pod: PodView, version: Version) -> Iterator[Violation]:
    if pod.windows and version >= (1, 25):
        return
    for c in pod.containers():
        caps = _ctx(c).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield Violation("capabilities", c.get("name"), "does not drop ALL", "drop ALL capabilities")
        extra = sorted(set(caps.get("add") or []) - {"NET_BIND_SERVICE"})
        if extra:
            yield Violation("capabilities", c.get("name"), f"adds {', '.join(extra)}", "add at most NET_BIND_SERVICE")


Control = Callable[[PodView, Version], Iterator[Violation]]

# control -> the first policy version that enforces it
BASELINE: dict[Control, Version] = {
    host_process: (1, 0),
    host_namespaces: (1, 0),
    privileged: (1, 0),
    capabilities_baseline: (1, 0),
    host_path: (1, 0),
    host_ports: (1, 0),
    host_probes: (1, 34),
    apparmor: (1, 0),
    selinux: (1, 0),
    proc_mount: (1, 0),
    seccomp_baseline: (1, 0),
    sysctls: (1, 0),
}
RESTRICTED: dict[Control, Version] = {
    volume_types: (1, 0),
    privilege_escalation: (1, 8),
    run_as_non_root: (1, 0),
    run_as_user: (1, 23),
    seccomp_restricted: (1, 19),
    capabilities_restricted: (1, 22),
}


def evaluate(pod: PodView, level: str, version: Version) -> list[Violation]:
    """Every violation of `level` (privileged, baseline, restricted) at policy `version`."""
    controls = {} if level == "privileged" else BASELINE | (RESTRICTED if level == "restricted" else {})
    if level == "restricted":
        # as in Pod Security Admission, restricted's seccomp and capabilities replace baseline's
        controls.pop(seccomp_baseline, None)
        controls.pop(capabilities_baseline, None)
    return [v for control, since in controls.items() if version >= since for v in control(pod, version)]


def parse_version(text: str) -> Version:
    major, minor = text.lstrip("v").split(".")[:2]
    return int(major), int(minor)
