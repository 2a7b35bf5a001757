"""verify's admission check: Gatekeeper's match semantics, the templates' Rego as regopy runs it,
a planted denied pod, and the real renders admitted by their own constraints."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.config import load_config
from components.security import gatekeeper as platform_gatekeeper
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
from store_platform_tools.verify.checks import admission
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.gatekeeper import (
    Constraint,
    Expansion,
    Gatekeeper,
    Review,
    match_applies,
    wildcard_matches,
)
from store_platform_tools.verify.objects import KubeObject, ObjectSet
from store_platform_tools.verify.rego import Policy, _bind_call_indexes, evaluate, project
from store_platform_tools.verify.run import platform_of
from tests.rendering import ROOT, render, stack_with

CHARTS = ROOT.parent / "shared" / "upstream" / "charts-pkg"
PRIVILEGED = {"name": "app", "image": "ghcr.io/acme/app:1.0.0", "securityContext": {"privileged": True}}


def obj(body: dict[str, Any]) -> KubeObject:
    return KubeObject(body, "program", "")


def namespace(name: str, **labels: str) -> KubeObject:
    return obj({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})


def pod(ns: str, labels: dict[str, str] | None = None, name: str = "p") -> Review:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels or {}}}
    return Review.of(body, ns)


def deployment(ns: str, *containers: dict[str, Any], name: str = "app") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": list(containers)}},
        },
    }


# --- match semantics ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("kube-*", "kube-system", True),
        ("*-system", "istio-system", True),
        ("kube-*", "cube-system", False),
        ("store", "store", True),
        ("store", "stores", False),
    ],
)
def test_namespace_globs_are_prefix_or_suffix(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_matches(pattern, value) is expected


def test_match_kinds_need_the_group_and_the_kind() -> None:
    objects = ObjectSet([])
    assert match_applies({"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}, pod("store"), objects)
    assert not match_applies({"kinds": [{"apiGroups": ["apps"], "kinds": ["Pod"]}]}, pod("store"), objects)
    assert not match_applies({"kinds": [{"apiGroups": [""], "kinds": ["Service"]}]}, pod("store"), objects)


def test_excluded_namespaces_take_globs_and_namespaces_restrict() -> None:
    objects = ObjectSet([])
    assert not match_applies({"excludedNamespaces": ["kube-*"]}, pod("kube-system"), objects)
    assert match_applies({"excludedNamespaces": ["kube-*"]}, pod("store"), objects)
    assert not match_applies({"namespaces": ["store"]}, pod("vault"), objects)


def test_namespace_criteria_do_not_exclude_cluster_scoped_objects() -> None:
    role = Review.of(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}, None
    )
    assert match_applies(
        {"namespaces": ["store"], "namespaceSelector": {"matchLabels": {"a": "b"}}}, role, ObjectSet([])
    )
    assert not match_applies({"scope": "Namespaced"}, role, ObjectSet([]))


def test_namespace_selector_reads_the_namespace_labels() -> None:
    objects = ObjectSet(
        [namespace("store", **{"pod-security.kubernetes.io/enforce": "restricted"}), namespace("monitoring")]
    )
    selector = {"namespaceSelector": {"matchLabels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
    assert match_applies(selector, pod("store"), objects)
    assert not match_applies(selector, pod("monitoring"), objects)


def test_label_selector_and_name_glob() -> None:
    objects = ObjectSet([])
    assert match_applies(
        {"labelSelector": {"matchLabels": {"team": "a"}}, "name": "web-*"}, pod("s", {"team": "a"}, "web-1"), objects
    )
    assert not match_applies({"labelSelector": {"matchLabels": {"team": "a"}}}, pod("s", {"team": "b"}), objects)
    assert not match_applies({"name": "web-*"}, pod("s", name="api-1"), objects)


# --- enforcement and expansion -----------------------------------------------------------------


def constraint(spec: dict[str, Any]) -> Constraint:
    return Constraint(
        obj(
            {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sX", "metadata": {"name": "c"}, "spec": spec}
        )
    )


def expansion_template(**extra: Any) -> Expansion:
    spec = {**platform_gatekeeper.workload_expansion(), **extra}
    return Expansion(
        obj(
            {
                "apiVersion": "expansion.gatekeeper.sh/v1beta1",
                "kind": "ExpansionTemplate",
                "metadata": {"name": "e"},
                "spec": spec,
            }
        )
    )


def test_only_deny_is_a_denial_at_the_webhook() -> None:
    assert constraint({}).denies_at_webhook(None)  # Gatekeeper's default is deny
    assert not constraint({"enforcementAction": "warn"}).denies_at_webhook(None)
    scoped = {
        "enforcementAction": "scoped",
        "scopedEnforcementActions": [{"action": "deny", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]}],
    }
    assert not constraint(scoped).denies_at_webhook(None)
    scoped["scopedEnforcementActions"][0]["enforcementPoints"] = [{"name": "validation.gatekeeper.sh"}]
    assert constraint(scoped).denies_at_webhook(None)


def test_an_expansion_template_action_overrides_the_constraint() -> None:
    assert not constraint({"enforcementAction": "deny"}).denies_at_webhook(expansion_template(enforcementAction="warn"))


def test_a_deployment_expands_to_its_pod_in_its_namespace() -> None:
    review = Review.of(deployment("store", PRIVILEGED), "store")
    expansion = expansion_template()
    assert expansion.applies_to(review)
    generated = expansion.expand(review)
    assert generated is not None
    assert (generated.group, generated.version, generated.kind, generated.namespace) == ("", "v1", "Pod", "store")
    assert generated.body["spec"]["containers"] == [PRIVILEGED]
    assert not expansion.applies_to(Review.of({**deployment("store"), "apiVersion": "apps/v1beta1"}, "store"))


# --- the templates' own Rego, as regopy evaluates it --------------------------------------------


def template_policy(kind: str) -> Policy:
    found = Gatekeeper.of(ObjectSet(template_objects()))
    assert found is not None and found.templates[kind].policy is not None
    return found.templates[kind].policy


def review_input(body: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    group, _, version = body["apiVersion"].rpartition("/")
    kind = {"group": group, "version": version, "kind": body["kind"]}
    return {"review": {"kind": kind, "operation": "CREATE", "object": body}, "parameters": parameters or {}}


def pod_with(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {}},
        "spec": {"containers": list(containers), **spec},
    }


IMAGE = "ghcr.io/acme/app:1.0.0"
# template kind -> parameters, an admitted object, a denied one
CONFORMANCE: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "K8sAllowedRepos": (
        {"repos": ["ghcr.io/acme/"]},
        pod_with({"name": "a", "image": IMAGE}),
        pod_with({"name": "a", "image": "evil.io/x:1"}),
    ),
    "K8sDisallowedTags": (
        {"tags": ["latest"]},
        pod_with({"name": "a", "image": "docker.io/falcosecurity/falco:0.44.1"}),
        pod_with({"name": "a", "image": "registry:5000/x"}),
    ),
    "K8sPSPPrivilegedContainer": ({}, pod_with({"name": "a", "image": IMAGE}), pod_with(PRIVILEGED)),
    "K8sPSPHostNamespace": (
        {},
        pod_with({"name": "a", "image": IMAGE}),
        pod_with({"name": "a", "image": IMAGE}, hostPID=True),
    ),
    "K8sPSPAllowPrivilegeEscalationContainer": (
        {},
        pod_with({"name": "a", "image": IMAGE, "securityContext": {"allowPrivilegeEscalation": False}}),
        pod_with({"name": "a", "image": IMAGE}),
    ),
    "K8sPSPCapabilities": (
        {"requiredDropCapabilities": ["ALL"], "allowedCapabilities": ["NET_BIND_SERVICE"]},
        pod_with(
            {
                "name": "a",
                "image": IMAGE,
                "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
            }
        ),
        pod_with(
            {"name": "a", "image": IMAGE, "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}}
        ),
    ),
    "K8sRequiredLabels": (
        {"labels": [{"key": "team", "allowedRegex": "^[a-z]+$"}]},
        {**pod_with(), "metadata": {"name": "p", "labels": {"team": "shop"}}},
        {**pod_with(), "metadata": {"name": "p", "labels": {"team": "Shop"}}},
    ),
    "K8sRequiredResources": (
        {"limits": ["memory"], "requests": ["cpu"]},
        pod_with({"name": "a", "image": IMAGE, "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "1"}}}),
        pod_with({"name": "a", "image": IMAGE, "resources": {"requests": {"cpu": "1"}}}),
    ),
    "K8sRequiredProbes": (
        {"probes": ["readinessProbe"], "probeTypes": ["httpGet"]},
        pod_with({"name": "a", "image": IMAGE, "readinessProbe": {"httpGet": {"port": 80}}}),
        pod_with({"name": "a", "image": IMAGE}),
    ),
    "K8sBlockNodePort": (
        {},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "NodePort"}},
    ),
    "K8sDisallowAnonymous": (
        {"allowedRoles": ["system:public-info-viewer"]},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "system:public-info-viewer"},
            "subjects": [{"kind": "Group", "name": "system:unauthenticated"}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "admin"},
            "subjects": [{"kind": "Group", "name": "system:unauthenticated"}],
        },
    ),
}


def test_every_vendored_template_admits_and_denies_as_written() -> None:
    """Guards the evaluator itself (rego-cpp has gaps: a call inside an index, v0 partial sets)."""
    kinds = sorted(CONFORMANCE)
    assert set(kinds) == {t.kind for t in platform_gatekeeper.templates()}
    batches = [
        (
            template_policy(k),
            {},
            [review_input(CONFORMANCE[k][1], CONFORMANCE[k][0]), review_input(CONFORMANCE[k][2], CONFORMANCE[k][0])],
        )
        for k in kinds
    ]
    for kind, verdict in zip(kinds, evaluate(batches), strict=True):
        assert not isinstance(verdict, str), f"{kind}: {verdict}"
        admitted, denied = verdict
        assert admitted == [], kind
        assert denied, kind


def test_a_call_inside_an_index_is_bound_beforehand() -> None:
    module = 'package t\nx {\n  parts := split(input.s, "/")\n  not contains(parts[count(parts) - 1], ":")\n}\n'
    assert "__verify_index" in _bind_call_indexes(module)
    assert "[count(" not in _bind_call_indexes(module)
    literal = 'package t\nx {\n  m := sprintf("%v", [lower(input.s)])\n}\n'
    assert _bind_call_indexes(literal) == literal


def noisy(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with fields no template reads (env, volumes) and more labels."""
    body = copy.deepcopy(body)
    for c in (body.get("spec") or {}).get("containers") or []:
        c["env"] = [{"name": "X", "value": "1"}]
    if body["kind"] == "Pod":
        body["spec"]["volumes"] = [{"name": "v", "emptyDir": {}}]
    body["metadata"]["labels"] = {**body["metadata"].get("labels", {}), "extra": "x"}
    return body


def test_projection_keeps_every_verdict() -> None:
    """The evaluator gets only the fields a template names; that must not change what it says."""
    batches = []
    for kind, (parameters, admitted, denied) in CONFORMANCE.items():
        policy = template_policy(kind)
        keep = policy.names() | admission._strings(parameters)
        full = [noisy(admitted), noisy(denied)]
        projected = [project(d, keep) for d in full]
        assert all(len(json.dumps(p)) < len(json.dumps(f)) for p, f in zip(projected, full, strict=True)), kind
        inputs = [review_input(d, parameters) for d in full + full]
        for document, body in zip(inputs[2:], projected, strict=True):
            document["review"]["object"] = body
        batches.append((policy, {}, inputs))
    for kind, verdict in zip(CONFORMANCE, evaluate(batches), strict=True):
        assert verdict[:2] == verdict[2:], kind


# --- the check on a planted platform -----------------------------------------------------------


def template_objects() -> list[KubeObject]:
    return [
        obj(
            {
                "apiVersion": "templates.gatekeeper.sh/v1",
                "kind": "ConstraintTemplate",
                "metadata": t.document["metadata"],
                "spec": t.document["spec"],
            }
        )
        for t in platform_gatekeeper.templates()
    ]


def prod_config() -> Any:
    stack = load_stack(ROOT, "prod")
    return load_config(json.loads(stack.values["store-platform:platform"]), "prod")


def gatekeeper_objects(enforcement: str) -> list[KubeObject]:
    """The platform's Gatekeeper setup as the program writes it, and the chart's webhook."""
    config = prod_config()
    constraints = [
        obj(
            {
                "apiVersion": "constraints.gatekeeper.sh/v1beta1",
                "kind": c.kind,
                "metadata": {"name": c.name},
                "spec": {
                    "enforcementAction": enforcement,
                    "match": c.match,
                    **({"parameters": c.parameters} if c.parameters else {}),
                },
            }
        )
        for c in platform_gatekeeper.constraints(config)
    ]
    webhook = {
        "name": "validation.gatekeeper.sh",
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "admission.gatekeeper.sh/ignore", "operator": "DoesNotExist"},
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["gatekeeper-system"]},
            ]
        },
        "rules": [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": ["*"]}],
    }
    return [
        *template_objects(),
        *constraints,
        expansion_template().obj,
        obj(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": "gk"},
                "webhooks": [webhook],
            }
        ),
        namespace("store", **{"pod-security.kubernetes.io/enforce": "restricted"}),
    ]


def planted(*extra: dict[str, Any] | KubeObject, enforcement: str = "deny") -> Platform:
    added = [e if isinstance(e, KubeObject) else obj(e) for e in extra]
    return Platform(ObjectSet([*gatekeeper_objects(enforcement), *added]), prod_config())


def test_a_privileged_pod_is_denied_at_deny() -> None:
    findings = admission.check(planted(deployment("vault", PRIVILEGED)))
    assert [f.subject.split(" [")[0] for f in findings] == ["Deployment vault/app"]
    assert "K8sPSPPrivilegedContainer baseline-no-privileged" in findings[0].rule
    assert "ExpansionTemplate" in findings[0].rule and "its pods as created" in findings[0].rule


def test_a_service_pod_missing_what_the_services_constraints_require_is_denied() -> None:
    container = {
        "name": "app",
        "image": IMAGE,
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    rules = " ".join(f.rule for f in admission.check(planted(deployment("store", container))))
    assert (
        "services-required-labels" in rules
        and "services-requests-and-limits" in rules
        and "services-readiness-probe" in rules
    )


def test_no_finding_in_an_excluded_namespace_or_at_warn() -> None:
    assert admission.check(planted(deployment("kube-system", PRIVILEGED))) == []
    assert admission.check(planted(deployment("vault", PRIVILEGED), enforcement="warn")) == []


def test_a_namespace_the_webhook_ignores_is_not_reviewed_but_its_label_must_be_exempt() -> None:
    opt_out = namespace("opt-out", **{"admission.gatekeeper.sh/ignore": "yes"})
    findings = admission.check(planted(opt_out, deployment("opt-out", PRIVILEGED)))
    assert [f.subject.split(" [")[0] for f in findings] == ["Namespace opt-out"]
    assert "label webhook refuses" in findings[0].rule


# --- the real renders --------------------------------------------------------------------------


@pytest.mark.skipif(not CHARTS.is_dir(), reason="needs the chart archives beside the checkout")
@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_prod_is_admitted_by_its_own_constraints(mesh: str, tmp_path: Path) -> None:
    if mesh == "istio":
        stack = load_stack(ROOT, "prod")
        result = render("prod")
    else:
        stack = stack_with("prod", tmp_path, {"mesh": {"provider": mesh}})
        result = run_program(stack)
    platform = platform_of(result, stack, CHARTS, ROOT)
    assert platform.config.policy.enforcement == "deny"
    assert [f.line() for f in admission.check(platform)] == []
