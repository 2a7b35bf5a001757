"""Custom resources validated as the API server validates them against their CRD.

A CRD's `openAPIV3Schema` is a *structural* schema with Kubernetes extensions; it becomes a JSON
Schema here so `jsonschema` can check it:

- fields the schema does not name are pruned by the API server, so here they are errors (strict
  field validation), except under `x-kubernetes-preserve-unknown-fields` or a map
  (`additionalProperties`);
- `nullable` admits null; `x-kubernetes-int-or-string` admits an integer or a string;
- `x-kubernetes-embedded-resource` (and the root) admit apiVersion, kind and metadata;
- `anyOf`/`oneOf`/`allOf`/`not` carry value validations only, never pruning.

`x-kubernetes-validations` (CEL) and `format` are not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jsonschema

from .objects import KubeObject

_DROP = {"description", "default", "example", "externalDocs", "nullable", "format"}
_RESOURCE_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


def to_json_schema(node: dict[str, Any], *, prune: bool = True, resource: bool = False) -> dict[str, Any]:
    """The JSON Schema equivalent of a structural schema node (see the module docstring)."""
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in _DROP and not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if "properties" in node:
        out["properties"] = {k: to_json_schema(v, prune=prune) for k, v in node["properties"].items()}
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = to_json_schema(node["additionalProperties"], prune=prune)
    if isinstance(node.get("items"), dict):
        out["items"] = to_json_schema(node["items"], prune=prune)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            out[key] = [to_json_schema(n, prune=False) for n in node[key]]
    if "not" in node:
        out["not"] = to_json_schema(node["not"], prune=False)
    if resource or node.get("x-kubernetes-embedded-resource"):
        out["properties"] = {**_RESOURCE_FIELDS, **out.get("properties", {})}
    is_object = node.get("type") == "object" or "properties" in node
    if (
        prune
        and is_object
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@dataclass(eq=False)
class CrdVersion:
    crd: KubeObject
    served: bool
    schema: dict[str, Any] | None  # the openAPIV3Schema, None if the version has none

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        """Validates a whole custom resource but its metadata (an ObjectMeta, checked as such)."""
        schema = to_json_schema(self.schema or {}, resource=True)
        schema["properties"]["metadata"] = {}
        return jsonschema.Draft202012Validator(schema)


def crd_index(objects: Iterable[KubeObject]) -> dict[tuple[str, str], dict[str, CrdVersion]]:
    """(group, kind) -> version -> what the CRD says of it; the Gatekeeper constraint CRDs
    that ConstraintTemplates generate included."""
    index: dict[tuple[str, str], dict[str, CrdVersion]] = {}
    for o in objects:
        if o.kind == "CustomResourceDefinition":
            key = (o.spec.get("group", ""), (o.spec.get("names") or {}).get("kind", ""))
            index[key] = {
                v["name"]: CrdVersion(o, bool(v.get("served")), (v.get("schema") or {}).get("openAPIV3Schema"))
                for v in o.spec.get("versions") or []
            }
        elif o.kind == "ConstraintTemplate":
            kind = (((o.spec.get("crd") or {}).get("spec") or {}).get("names") or {}).get("kind", "")
            schema = constraint_schema(o)
            index[("constraints.gatekeeper.sh", kind)] = {
                v: CrdVersion(o, True, schema) for v in ("v1", "v1beta1", "v1alpha1")
            }
    return index


_STRINGS = {"type": "array", "items": {"type": "string"}}
_SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string", "enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": _STRINGS,
                },
            },
        },
    },
}
# The `match` every Gatekeeper constraint CRD carries (pkg/mutation/match, pkg/target in Gatekeeper).
_MATCH = {
    "type": "object",
    "properties": {
        "kinds": {
            "type": "array",
            "items": {"type": "object", "properties": {"apiGroups": _STRINGS, "kinds": _STRINGS}},
        },
        "scope": {"type": "string", "enum": ["*", "Cluster", "Namespaced"]},
        "namespaces": _STRINGS,
        "excludedNamespaces": _STRINGS,
        "labelSelector": _SELECTOR,
        "namespaceSelector": _SELECTOR,
        "name": {"type": "string"},
        "source": {"type": "string", "enum": ["All", "Generated", "Original"]},
    },
}


def constraint_schema(template: KubeObject) -> dict[str, Any]:
    """The schema of the constraint CRD Gatekeeper generates from a ConstraintTemplate:
    `spec.parameters` is the template's schema (loose when the template asks for legacySchema)."""
    validation = (((template.spec.get("crd") or {}).get("spec") or {}).get("validation")) or {}
    parameters = validation.get("openAPIV3Schema") or {"type": "object"}
    if validation.get("legacySchema"):
        parameters = {**parameters, "x-kubernetes-preserve-unknown-fields": True}
    return {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "match": _MATCH,
                    "enforcementAction": {"type": "string"},
                    "scopedEnforcementActions": {
                        "type": "array",
                        "items": {"x-kubernetes-preserve-unknown-fields": True},
                    },
                    "parameters": parameters,
                },
            },
            "status": {"x-kubernetes-preserve-unknown-fields": True},
        },
    }
