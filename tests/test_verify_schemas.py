"""The schemas check: built-in objects against the stack's Kubernetes version, custom resources
against the CRDs the render installs, pods with their injected containers; the real stacks clean."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from store_platform_tools.verify.checks import schemas
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.crd_schema import to_json_schema
from store_platform_tools.verify.objects import KubeObject, ObjectSet
from store_platform_tools.verify.pods import Pod
from tests.verify_platforms import VARIANTS, platform, stack_config, variant_params


def _platform(objects: list[dict[str, Any]], version: str = "1.33") -> Platform:
    return Platform(
        ObjectSet(KubeObject(o, "program", "") for o in objects), stack_config("dev", kubernetesVersion=version)
    )


def rules(objects: list[dict[str, Any]], version: str = "1.33", kind: str = "") -> list[str]:
    """The rules the check finds broken (by objects of `kind`, if given)."""
    return [f.rule for f in schemas.check(_platform(objects, version)) if f.subject.startswith(kind)]


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "web:1", "ports": [{"containerPort": 8080}]}]},
            },
        },
    }


def crd(schema: dict[str, Any], *, served: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [
                {"name": "v1", "served": served, "storage": True, "schema": {"openAPIV3Schema": schema}},
            ],
        },
    }


WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer"},
                "port": {"x-kubernetes-int-or-string": True},
                "owner": {"type": "string", "nullable": True},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                },
            },
        }
    },
}


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {"size": 1, **spec},
    }


# --- built-in kinds -----------------------------------------------------------------------------


def test_valid_builtin_object_passes():
    assert rules([deployment()]) == []


def test_unknown_field_of_a_builtin_is_found_with_its_path():
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    (rule,) = rules([d])
    assert "spec.template.spec.containers[0]" in rule and "imagePullPolice" in rule


def test_wrong_type_of_a_builtin_field_is_found():
    d = deployment()
    d["spec"]["replicas"] = "two"
    (rule,) = rules([d])
    assert "spec.replicas" in rule


def test_missing_required_field_is_found():
    d = deployment()
    del d["spec"]["selector"]
    (rule,) = rules([d])
    assert "selector" in rule


def test_fields_follow_the_stack_version():
    d = deployment()
    d["spec"]["template"]["spec"]["hostnameOverride"] = "web"  # PodSpec field new in 1.34
    assert rules([d], version="1.34") == []
    (rule,) = rules([d], version="1.33")
    assert "for Kubernetes 1.33" in rule and "hostnameOverride" in rule


def test_kind_unknown_to_kubernetes_and_to_every_crd_is_found():
    hpa = {
        "apiVersion": "autoscaling/v2beta2",  # removed in 1.26
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 2},
    }
    (rule,) = rules([hpa])
    assert "not built into Kubernetes 1.33" in rule


# --- custom resources ---------------------------------------------------------------------------


def test_valid_custom_resource_passes_with_the_kubernetes_extensions():
    cr = widget(
        port="http",
        owner=None,
        extra={"anything": {"goes": 1}},
        labels={"a": "b"},
        template={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}},
    )
    assert rules([crd(WIDGET_SCHEMA), cr]) == []
    assert rules([crd(WIDGET_SCHEMA), widget(port=8080)]) == []


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"colour": "red"}, "spec"),  # pruned by the API server: an unknown field
        ({"size": "big"}, "spec.size"),
        ({"port": 1.5}, "spec.port"),
        ({"labels": {"a": 1}}, "spec.labels.a"),
        ({"template": {"spec": {}, "status": 1}}, "spec.template"),
    ],
    ids=["unknown-field", "wrong-type", "int-or-string", "map-value", "embedded-unknown"],
)
def test_invalid_custom_resource_is_found(spec, where):
    (rule,) = rules([crd(WIDGET_SCHEMA), widget(**spec)])
    assert "not valid per its CRD" in rule and f": {where}:" in rule


def test_custom_resource_missing_a_required_field_is_found():
    cr = widget()
    del cr["spec"]["size"]
    assert any("size" in r for r in rules([crd(WIDGET_SCHEMA), cr]))


def test_custom_resource_metadata_is_an_object_meta():
    cr = widget()
    cr["metadata"]["labels"] = {"a": 1}
    (rule,) = rules([crd(WIDGET_SCHEMA), cr])
    assert rule.startswith("metadata not valid") and "metadata.labels.a" in rule


def test_custom_resource_whose_crd_nobody_installs_is_found():
    (rule,) = rules([widget()])
    assert "no installed CRD defines it" in rule


def test_custom_resource_at_an_unserved_version_is_found():
    (rule,) = rules([crd(WIDGET_SCHEMA, served=False), widget()])
    assert "not served" in rule


def test_nullable_is_only_where_the_schema_says():
    assert any("spec.size" in r for r in rules([crd(WIDGET_SCHEMA), widget(size=None)]))


def test_value_validations_in_any_of_do_not_prune():
    converted = to_json_schema(
        {"type": "object", "properties": {"a": {"type": "string"}}, "anyOf": [{"required": ["a"]}]}
    )
    assert converted["additionalProperties"] is False
    assert "additionalProperties" not in converted["anyOf"][0]


def test_gatekeeper_constraints_validate_against_their_template():
    template = {
        "apiVersion": "templates.gatekeeper.sh/v1",
        "kind": "ConstraintTemplate",
        "metadata": {"name": "k8srequiredlabels"},
        "spec": {
            "crd": {
                "spec": {
                    "names": {"kind": "K8sRequiredLabels"},
                    "validation": {"openAPIV3Schema": {"type": "object", "properties": {"labels": {"type": "array"}}}},
                }
            },
            "targets": [],
        },
    }
    constraint = {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": "K8sRequiredLabels",
        "metadata": {"name": "must-have-owner"},
        "spec": {
            "enforcementAction": "deny",
            "match": {"kinds": [{"apiGroups": [""], "kinds": ["Namespace"]}], "excludedNamespaces": ["kube-system"]},
            "parameters": {"labels": ["owner"]},
        },
    }
    assert rules([template, constraint], kind="K8sRequiredLabels") == []
    bad = copy.deepcopy(constraint)
    bad["spec"]["parameters"]["label"] = "owner"
    bad["spec"]["match"]["namespace"] = ["shop"]
    found = rules([template, bad], kind="K8sRequiredLabels")
    assert any("spec.parameters" in r and "'label'" in r for r in found)
    assert any("spec.match" in r and "'namespace'" in r for r in found)


# --- pods ---------------------------------------------------------------------------------------


def test_injected_containers_are_validated_in_the_pod():
    owner = KubeObject(deployment(), "program", "")
    template = deployment()["spec"]["template"]
    spec = copy.deepcopy(template["spec"])
    spec["initContainers"] = [{"name": "proxy", "image": "p:1", "restartPolicy": "Always", "ports": [{"port": 15090}]}]
    p = _platform([deployment()])
    p.pods = [Pod(owner, "shop", template["metadata"], spec, injected=("proxy",))]
    found = schemas.check(p)
    assert len(found) >= 1
    assert all(f.subject.startswith("pod of Deployment shop/web") for f in found)
    assert any("spec.initContainers[0].ports[0]" in f.rule for f in found)


# --- the real stacks ----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", variant_params())
def test_real_stacks_are_schema_valid(variant):
    stack, cloud, extra = VARIANTS[variant]
    assert [f.line() for f in schemas.check(platform(stack, cloud, extra))] == []
