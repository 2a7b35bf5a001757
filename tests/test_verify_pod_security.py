"""The pod-security check: each Pod Security Standards control planted and found, a compliant pod
passing, the version semantics, and the real stacks clean."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from store_platform_tools.verify.checks import pod_security
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.objects import KubeObject, ObjectSet
from store_platform_tools.verify.pss import PodView, evaluate
from tests.verify_platforms import VARIANTS, platform, stack_config, variant_params

LATEST = (1, 34)


def restricted_pod() -> dict[str, Any]:
    """A pod every level admits."""
    hardened = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        "metadata": {"labels": {"app": "x"}, "annotations": {}},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{"name": "init", "image": "i:1", "securityContext": copy.deepcopy(hardened)}],
            "containers": [
                {
                    "name": "app",
                    "image": "a:1",
                    "ports": [{"containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
                    "securityContext": copy.deepcopy(hardened),
                }
            ],
            "volumes": [
                {"name": "tmp", "emptyDir": {}},
                {"name": "conf", "configMap": {"name": "c"}},
                {"name": "token", "projected": {"sources": []}},
            ],
        },
    }


def controls(pod: dict[str, Any], level: str, version: tuple[int, int] = LATEST) -> set[tuple[str, str | None]]:
    return {(v.control, v.container) for v in evaluate(PodView(pod["metadata"], pod["spec"]), level, version)}


def app(pod: dict[str, Any]) -> dict[str, Any]:
    return pod["spec"]["containers"][0]


def test_compliant_pod_passes_restricted():
    assert controls(restricted_pod(), "restricted") == set()


def test_privileged_level_admits_anything():
    pod = restricted_pod()
    pod["spec"]["hostNetwork"] = True
    app(pod)["securityContext"]["privileged"] = True
    assert controls(pod, "privileged") == set()


# (control, container or None for a pod-level field, mutation, lowest level that forbids it)
BASELINE_PLANTS = [
    ("hostProcess", None, lambda p: p["spec"]["securityContext"].update(windowsOptions={"hostProcess": True})),
    ("host namespaces", None, lambda p: p["spec"].update(hostPID=True)),
    ("host namespaces", None, lambda p: p["spec"].update(hostNetwork=True)),
    ("privileged", "app", lambda p: app(p)["securityContext"].update(privileged=True)),
    ("capabilities", "app", lambda p: app(p)["securityContext"]["capabilities"].update(add=["SYS_ADMIN"])),
    ("hostPath volumes", None, lambda p: p["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}})),
    ("host ports", "app", lambda p: app(p)["ports"][0].update(hostPort=8080)),
    ("host probes / lifecycle hooks", "app", lambda p: app(p)["readinessProbe"]["httpGet"].update(host="10.0.0.1")),
    (
        "AppArmor",
        "app",
        lambda p: p["metadata"]["annotations"].update(
            {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
        ),
    ),
    ("AppArmor", "app", lambda p: app(p)["securityContext"].update(appArmorProfile={"type": "Unconfined"})),
    ("SELinux", None, lambda p: p["spec"]["securityContext"].update(seLinuxOptions={"type": "spc_t"})),
    ("SELinux", "app", lambda p: app(p)["securityContext"].update(seLinuxOptions={"user": "system_u"})),
    ("/proc mount", "app", lambda p: app(p)["securityContext"].update(procMount="Unmasked")),
    ("seccomp", "app", lambda p: app(p)["securityContext"].update(seccompProfile={"type": "Unconfined"})),
    ("sysctls", None, lambda p: p["spec"]["securityContext"].update(sysctls=[{"name": "kernel.msgmax", "value": "1"}])),
]
RESTRICTED_PLANTS = [
    ("volume types", None, lambda p: p["spec"]["volumes"].append({"name": "n", "nfs": {"server": "s", "path": "/"}})),
    ("privilege escalation", "app", lambda p: app(p)["securityContext"].pop("allowPrivilegeEscalation")),
    ("runAsNonRoot", "app", lambda p: app(p)["securityContext"].update(runAsNonRoot=False)),
    ("runAsUser", "init", lambda p: p["spec"]["initContainers"][0]["securityContext"].update(runAsUser=0)),
    ("runAsUser", None, lambda p: p["spec"]["securityContext"].update(runAsUser=0)),
    ("capabilities", "app", lambda p: app(p)["securityContext"]["capabilities"].update(drop=["NET_RAW"])),
    (
        "capabilities",
        "init",
        lambda p: p["spec"]["initContainers"][0]["securityContext"].update(
            capabilities={"drop": ["ALL"], "add": ["CHOWN"]}
        ),
    ),
]


@pytest.mark.parametrize(
    ("control", "container", "plant"), BASELINE_PLANTS, ids=lambda x: x if isinstance(x, str) else ""
)
def test_baseline_control_found_at_baseline_and_restricted(control, container, plant):
    pod = restricted_pod()
    plant(pod)
    assert (control, container) in controls(pod, "baseline")
    assert (control, container) in controls(pod, "restricted")


@pytest.mark.parametrize(
    ("control", "container", "plant"), RESTRICTED_PLANTS, ids=lambda x: x if isinstance(x, str) else ""
)
def test_restricted_control_found_at_restricted_only(control, container, plant):
    pod = restricted_pod()
    plant(pod)
    assert (control, container) in controls(pod, "restricted")
    assert controls(pod, "baseline") == set()


def test_seccomp_restricted_needs_a_profile_at_pod_or_every_container():
    pod = restricted_pod()
    del pod["spec"]["securityContext"]["seccompProfile"]
    del app(pod)["securityContext"]["seccompProfile"]
    assert controls(pod, "restricted") == {("seccomp", "app")}  # init still sets its own
    assert controls(pod, "baseline") == set()  # unset is not Unconfined


def test_run_as_non_root_at_pod_level_covers_containers():
    pod = restricted_pod()
    for c in pod["spec"]["initContainers"] + pod["spec"]["containers"]:
        del c["securityContext"]["runAsNonRoot"]
    assert controls(pod, "restricted") == set()
    del pod["spec"]["securityContext"]["runAsNonRoot"]
    assert controls(pod, "restricted") == {("runAsNonRoot", "init"), ("runAsNonRoot", "app")}


def test_restricted_allows_adding_net_bind_service_only():
    pod = restricted_pod()
    app(pod)["securityContext"]["capabilities"]["add"] = ["NET_BIND_SERVICE"]
    assert controls(pod, "restricted") == set()


def test_ephemeral_containers_are_checked():
    pod = restricted_pod()
    pod["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "d:1", "securityContext": {"privileged": True}}]
    assert ("privileged", "debug") in controls(pod, "baseline")
    assert ("privilege escalation", "debug") in controls(pod, "restricted")


def test_windows_pods_are_exempt_from_linux_only_restricted_controls_since_1_25():
    pod = restricted_pod()
    pod["spec"]["os"] = {"name": "windows"}
    del app(pod)["securityContext"]["allowPrivilegeEscalation"]
    assert controls(pod, "restricted", (1, 25)) == set()
    assert ("privilege escalation", "app") in controls(pod, "restricted", (1, 24))


def test_host_probes_are_checked_from_1_34():
    pod = restricted_pod()
    app(pod)["readinessProbe"]["httpGet"]["host"] = "h"
    assert controls(pod, "baseline", (1, 33)) == set()
    assert controls(pod, "baseline", (1, 34)) == {("host probes / lifecycle hooks", "app")}


def test_run_as_user_zero_is_refused_from_1_23():
    pod = restricted_pod()
    pod["spec"]["securityContext"]["runAsUser"] = 0
    assert controls(pod, "restricted", (1, 22)) == set()
    assert controls(pod, "restricted", (1, 23)) == {("runAsUser", None)}


def test_keepalive_sysctls_are_safe_from_1_29():
    pod = restricted_pod()
    pod["spec"]["securityContext"]["sysctls"] = [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]
    assert controls(pod, "baseline", (1, 28)) == {("sysctls", None)}
    assert controls(pod, "baseline", (1, 29)) == set()


def test_selinux_container_engine_type_is_allowed_from_1_31():
    pod = restricted_pod()
    app(pod)["securityContext"]["seLinuxOptions"] = {"type": "container_engine_t"}
    assert controls(pod, "baseline", (1, 30)) == {("SELinux", "app")}
    assert controls(pod, "baseline", (1, 31)) == set()


# --- the check over a platform -----------------------------------------------------------------


def _platform(objects: list[dict[str, Any]], version: str = "1.33") -> Platform:
    config = stack_config("dev", kubernetesVersion=version)
    return Platform(ObjectSet(KubeObject(o, "program", "") for o in objects), config)


def _namespace(name: str, level: str | None) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": level} if level else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _deployment(namespace: str, pod: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": copy.deepcopy(pod)},
    }


def test_finding_names_owner_container_rule_and_fix():
    pod = restricted_pod()
    app(pod)["securityContext"]["allowPrivilegeEscalation"] = True
    findings = pod_security.check(_platform([_namespace("shop", "restricted"), _deployment("shop", pod)]))
    assert len(findings) == 1
    f = findings[0]
    assert "Deployment shop/web" in f.subject and "container app" in f.subject
    assert "privilege escalation" in f.rule and "restricted" in f.rule
    assert "false" in f.fix


def test_namespace_level_decides():
    pod = restricted_pod()
    app(pod)["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]
    baseline = pod_security.check(_platform([_namespace("shop", "baseline"), _deployment("shop", pod)]))
    privileged = pod_security.check(_platform([_namespace("shop", "privileged"), _deployment("shop", pod)]))
    assert [f.rule.split(":")[0] for f in baseline] == ["baseline capabilities"]
    assert privileged == []


def test_namespace_the_platform_does_not_create_has_the_cluster_default():
    pod = restricted_pod()
    pod["spec"]["hostNetwork"] = True
    assert pod_security.check(_platform([_deployment("kube-system", pod)])) == []
    assert pod_security.check(_platform([_namespace("shop", None), _deployment("shop", pod)])) == []


def test_enforce_version_label_pins_the_policy():
    pod = restricted_pod()
    app(pod)["readinessProbe"]["httpGet"]["host"] = "h"
    ns = _namespace("shop", "baseline")
    assert pod_security.check(_platform([ns, _deployment("shop", pod)], version="1.34"))
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = "v1.33"
    assert pod_security.check(_platform([ns, _deployment("shop", pod)], version="1.34")) == []


def test_injected_mesh_containers_are_checked():
    """Istio without its CNI injects istio-init with NET_ADMIN: a restricted namespace refuses it."""
    istio = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "istio-sidecar-injector"},
        "webhooks": [{"name": "x", "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}}}],
    }
    values = {"global": {"hub": "h", "tag": "1", "proxy": {"image": "proxyv2"}}, "pilot": {"cni": {"enabled": False}}}
    injector_config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
        "data": {"values": json.dumps(values)},
    }
    ns = _namespace("shop", "restricted")
    ns["metadata"]["labels"]["istio-injection"] = "enabled"
    findings = pod_security.check(_platform([istio, injector_config, ns, _deployment("shop", restricted_pod())]))
    assert findings
    assert all("container istio-init (injected by the mesh)" in f.subject for f in findings)
    assert {f.rule.split(":")[0] for f in findings} >= {"restricted capabilities", "restricted runAsNonRoot"}


@pytest.mark.parametrize("variant", variant_params())
def test_real_stacks_pass_their_namespaces_pod_security(variant):
    stack, cloud, extra = VARIANTS[variant]
    assert [f.line() for f in pod_security.check(platform(stack, cloud, extra))] == []
