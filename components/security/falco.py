"""Falco: Helm values and our rules for the services' namespace, as pure functions of config.

modern_ebpf driver (CO-RE, no kernel module or headers), JSON events, falcosidekick forwarding
to Alertmanager and, where the stack has a Slack webhook, to Slack (the URL read from a
Kubernetes Secret through the sidekick's `existingSecret`)."""

from __future__ import annotations

from typing import Any

import yaml

from ..addresses import ALERTMANAGER, SERVICES_NAMESPACE
from ..cluster import SYSTEM_POOL_TAINT, Placement
from ..config import PlatformConfig

SIDEKICK_SECRET = "falcosidekick-outputs"  # env vars for falcosidekick, e.g. SLACK_WEBHOOKURL
RULES_FILE = "store-rules.yaml"

_IN_SERVICES = "store_service_container"
_PRIVATE_RANGES = '("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")'


def store_rules() -> list[dict[str, Any]]:
    """Three rules for the services' containers. Their lists and macros are defined here rather
    than taken from Falco's default ruleset, whose macros move between its stable and sandbox
    files from one rules release to the next."""
    return [
        {"list": "store_shells", "items": ["ash", "bash", "csh", "dash", "ksh", "sh", "tcsh", "zsh"]},
        {
            "macro": _IN_SERVICES,
            "condition": f'container.id != host and k8s.ns.name = "{SERVICES_NAMESPACE}"',
        },
        {"macro": "store_spawned_process", "condition": "evt.type in (execve, execveat) and evt.dir = <"},
        {
            "macro": "store_outbound",
            "condition": "evt.type = connect and evt.dir = < and (fd.typechar = 4 or fd.typechar = 6) "
            f"and not fd.snet in {_PRIVATE_RANGES}",
        },
        {
            "macro": "store_write_below_binary_dir",
            "condition": "evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f "
            "and fd.directory in (/bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin)",
        },
        {
            "rule": "Shell in a store service container",
            "desc": "A shell started inside a service container: the images ship no reason to.",
            "condition": f"store_spawned_process and {_IN_SERVICES} and proc.name in (store_shells)",
            "output": "Shell in service container (user=%user.name pod=%k8s.pod.name container=%container.name "
            "cmdline=%proc.cmdline parent=%proc.pname image=%container.image.repository)",
            "priority": "WARNING",
            "tags": ["store", "container", "shell", "mitre_execution"],
        },
        {
            "rule": "Unexpected outbound connection from a store service",
            "desc": "A service connected outside the cluster's private address space; services call each "
            "other and the platform only.",
            "condition": f"store_outbound and {_IN_SERVICES}",
            "output": "Outbound connection outside the cluster (pod=%k8s.pod.name connection=%fd.name "
            "proc=%proc.cmdline image=%container.image.repository)",
            "priority": "NOTICE",
            "tags": ["store", "network", "mitre_exfiltration"],
        },
        {
            "rule": "Write below binary dir in a store service",
            "desc": "A file opened for writing below a binary directory in a service container.",
            "condition": f"store_write_below_binary_dir and {_IN_SERVICES}",
            "output": "Write below binary dir (file=%fd.name pod=%k8s.pod.name proc=%proc.cmdline "
            "image=%container.image.repository)",
            "priority": "ERROR",
            "tags": ["store", "filesystem", "mitre_persistence"],
        },
    ]


def falco_values(config: PlatformConfig, placement: Placement, slack: bool) -> dict[str, Any]:
    """`slack`: whether the stack has a Slack webhook (the Secret SIDEKICK_SECRET then holds it)."""
    sidekick_config: dict[str, Any] = {
        "alertmanager": {"hostport": ALERTMANAGER.url, "minimumpriority": "warning"},
    }
    if slack:
        sidekick_config["existingSecret"] = SIDEKICK_SECRET
        sidekick_config["slack"] = {"minimumpriority": "warning", "outputformat": "all"}
    return {
        "driver": {"kind": "modern_ebpf"},
        "falco": {"json_output": True, "json_include_output_property": True, "priority": "notice"},
        "customRules": {RULES_FILE: yaml.safe_dump(store_rules(), sort_keys=False)},
        "metrics": {"enabled": True},
        "serviceMonitor": {"create": True},
        "resources": {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        # A DaemonSet on every node, the system pool included: no node selector, and tolerate
        # the system pool's taint besides the chart's control-plane ones.
        "tolerations": [
            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
            {"effect": "NoSchedule", "key": SYSTEM_POOL_TAINT["key"], "operator": "Exists"},
        ],
        "falcosidekick": {
            "enabled": True,
            "replicaCount": 2 if config.is_prod else 1,
            "nodeSelector": placement.node_selector,
            "tolerations": placement.tolerations,
            # The plain-HTTP side port exists only beside a TLS server; without one, the chart's
            # default still adds a Service port for it that points at no container port.
            "config": {**sidekick_config, "tlsserver": {"notlspaths": ""}},
        },
    }
