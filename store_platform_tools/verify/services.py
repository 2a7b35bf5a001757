"""The services Argo CD deploys: each ApplicationSet expanded as its controller would, and the
service chart rendered with the resulting Applications' Helm sources.

Only the generators and template functions the platform's ApplicationSets use are understood
(matrix of clusters x list; `{{ .path }}` and `{{ toJson .path }}`); anything else is an error,
so a new construct is noticed rather than silently mis-rendered.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from components.addresses import IN_CLUSTER_API

from .fullrender import HelmRefused, render_chart
from .objects import KubeObject, selector_matches

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}")


class UnsupportedAppSet(ValueError):
    pass


def cluster_params(secret: KubeObject) -> dict[str, Any]:
    """The cluster generator's parameters for one cluster Secret."""
    data = secret.body.get("stringData") or {}
    server = data.get("server")
    return {
        "name": secret.name,
        "nameNormalized": secret.name,
        "server": server if server and server != "[secret]" else IN_CLUSTER_API,
        "metadata": {"labels": secret.labels, "annotations": secret.annotations},
    }


def generate(appset: KubeObject, clusters: list[KubeObject]) -> list[dict[str, Any]]:
    """Parameter sets of the ApplicationSet's generators."""
    params: list[dict[str, Any]] = []
    for generator in appset.spec.get("generators") or []:
        params += _generate_one(generator, clusters, appset)
    return params


def _generate_one(generator: dict[str, Any], clusters: list[KubeObject], appset: KubeObject) -> list[dict[str, Any]]:
    if "matrix" in generator:
        left, right = (_generate_one(g, clusters, appset) for g in generator["matrix"]["generators"])
        return [{**a, **b} for a in left for b in right]
    if "clusters" in generator:
        selector = (generator["clusters"] or {}).get("selector") or {}
        return [cluster_params(c) for c in clusters if selector_matches(selector, c.labels)]
    if "list" in generator:
        return [dict(e) for e in generator["list"].get("elements") or []]
    raise UnsupportedAppSet(f"{appset.ref}: generator {sorted(generator)} is not understood by verify")


def substitute(text: str, params: dict[str, Any]) -> str:
    """Go-template actions of the forms `.a.b` and `toJson .a.b` (missingkey=error)."""

    def one(match: re.Match[str]) -> str:
        action = match.group(1)
        as_json = action.startswith("toJson ")
        path = action.removeprefix("toJson ").strip()
        if not path.startswith(".") or " " in path:
            raise UnsupportedAppSet(f"template action '{{{{ {action} }}}}' is not understood by verify")
        value: Any = params
        for key in path[1:].split("."):
            if not isinstance(value, dict) or key not in value:
                raise UnsupportedAppSet(f"template action '{{{{ {action} }}}}': no parameter {path}")
            value = value[key]
        return json.dumps(value) if as_json else str(value)

    return _ACTION.sub(one, text)


def applications(appset: KubeObject, clusters: list[KubeObject]) -> list[dict[str, Any]]:
    """The Applications the controller would create (template and templatePatch applied)."""
    template_text = yaml.safe_dump(appset.spec["template"], sort_keys=True)
    patch_text = appset.spec.get("templatePatch") or ""
    apps = []
    for params in generate(appset, clusters):
        app = yaml.safe_load(substitute(template_text, params))
        if patch_text:
            app = _merge(app, yaml.safe_load(substitute(patch_text, params)) or {})
        apps.append(app)
    return apps


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def helm_values(app: dict[str, Any], chart_dir: Path) -> dict[str, Any]:
    """The values Argo CD gives Helm: value files in order (missing ones skipped where allowed), then valuesObject."""
    helm = app["spec"]["source"].get("helm") or {}
    values: dict[str, Any] = {}
    for name in helm.get("valueFiles") or []:
        path = chart_dir / name
        if not path.is_file():
            if helm.get("ignoreMissingValueFiles"):
                continue
            raise FileNotFoundError(f"Application {app['metadata']['name']}: value file {name} missing in {chart_dir}")
        values = _merge(values, yaml.safe_load(path.read_text()) or {})
    return _merge(values, helm.get("valuesObject") or {})


def render_services(program: list[KubeObject], project_dir: Path) -> tuple[list[KubeObject], list[HelmRefused]]:
    """Every object the platform's ApplicationSets deploy, rendered from the repository's charts."""
    import helm_python

    clusters = [
        s for s in program if s.kind == "Secret" and s.labels.get("argocd.argoproj.io/secret-type") == "cluster"
    ]
    objects: list[KubeObject] = []
    refused: list[HelmRefused] = []
    for appset in (o for o in program if o.kind == "ApplicationSet"):
        for app in applications(appset, clusters):
            source, destination = app["spec"]["source"], app["spec"]["destination"]
            chart_dir = project_dir / source["path"]
            name = (source.get("helm") or {}).get("releaseName") or app["metadata"]["name"]
            namespace = destination["namespace"]
            ref = f"Application {app['metadata']['name']} ({namespace}/{name})"
            try:
                objects += render_chart(
                    helm_python.Chart.load(chart_dir),
                    helm_values(app, chart_dir),
                    name=name,
                    namespace=namespace,
                    source=f"argocd {ref}",
                )
            except HelmRefused as e:
                refused.append(e)
    return objects, refused
