"""Full render: the program's own objects plus every object its Helm releases install.

Each `kubernetes:helm.sh/v3:Release` in the render is rendered from its chart archive through the
real Helm engine (helm-python), with exactly the values the program passes, as `helm install`
would: values checked against the chart's schema, CRDs from `crds/` included unless skipped,
test hooks left out, namespaced objects placed in the release namespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .charts import require_archive
from .cluster_baseline import baseline_objects
from .objects import KubeObject, default_namespaces
from .operators import operator_services

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
_TEST_HOOKS = {"test", "test-success", "test-failure"}


class HelmRefused(Exception):
    """Helm refused a release (schema, template failure); the message carries Helm's own words."""

    def __init__(self, release: str, message: str):
        super().__init__(f"release {release}: Helm refuses it: {message}")
        self.release = release
        self.helm_message = message


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    chart: str
    version: str
    values: dict[str, Any]
    skip_crds: bool = False

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class FullRender:
    objects: list[KubeObject]
    refused: list[HelmRefused] = field(default_factory=list)


def releases_of(resources: Iterable[dict[str, Any]]) -> list[Release]:
    out = []
    for r in resources:
        if r["type"] != RELEASE_TYPE:
            continue
        inputs = r["inputs"]
        out.append(
            Release(
                name=inputs.get("name") or r["name"],
                namespace=inputs.get("namespace") or "default",
                chart=inputs["chart"].rsplit("/", 1)[-1],  # an oci:// reference ends in the chart name
                version=inputs["version"],
                values=inputs.get("values") or {},
                skip_crds=bool(inputs.get("skipCrds")),
            )
        )
    return out


def render_release(release: Release, charts_dir: Path) -> list[KubeObject]:
    """Every object `helm install` of `release` would create; HelmRefused when Helm would refuse it."""
    import helm_python

    chart = helm_python.Chart.load(require_archive(charts_dir, release.chart, release.version))
    return render_chart(
        chart,
        release.values,
        name=release.name,
        namespace=release.namespace,
        source=f"release {release.ref}",
        skip_crds=release.skip_crds,
    )


def render_chart(
    chart: Any, values: dict[str, Any], *, name: str, namespace: str, source: str, skip_crds: bool = False
) -> list[KubeObject]:
    """A loaded helm-python chart installed as `name` in `namespace`: its objects, placed in the namespace."""
    import helm_python

    try:
        chart.validate_schema(values)
        files = chart.render(values, name=name, namespace=namespace, is_install=True)
    except helm_python.HelmError as e:
        raise HelmRefused(source, str(e)) from e
    objects: list[KubeObject] = []
    if not skip_crds:
        for crd in chart.crds:
            objects += parse_manifests(crd["data"], source, crd["filename"])
    for path, text in sorted(files.items()):
        if path.endswith(("NOTES.txt", ".tpl")) or not text.strip():
            continue
        for obj in parse_manifests(text, source, path):
            hook = (obj.annotations.get("helm.sh/hook") or "").split(",")
            if _TEST_HOOKS.intersection(h.strip() for h in hook):
                continue  # `helm test` only; never installed
            objects.append(obj)
    return [o.placed_in(namespace) for o in objects]


def full_render(
    program_objects: Iterable[dict[str, Any]],
    resources: list[dict[str, Any]],
    charts_dir: Path,
    project_dir: Path,
    cloud: str,
) -> FullRender:
    """The program's objects, every release's, the services its ApplicationSets deploy, and what the
    Prometheus operator and the cluster itself provide, namespaced as the API server would store them.

    A release Helm refuses is collected, not raised, so one run reports every refusal."""
    from .services import render_services

    program = [KubeObject(obj, "program", "") for obj in program_objects]
    objects = list(program)
    refused: list[HelmRefused] = []
    for release in releases_of(resources):
        try:
            objects += render_release(release, charts_dir)
        except HelmRefused as e:
            refused.append(e)
    services, services_refused = render_services(program, project_dir)
    objects = default_namespaces(objects + services)
    objects += operator_services(objects)
    return FullRender(objects + baseline_objects(cloud, objects), refused + services_refused)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 as Kubernetes reads it (libyaml where built): a bare `=` is the string "=", not a value tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


# How Helm splits a rendered template into documents (releaseutil.SplitManifests): a `---` at a
# line start ends a document even when a comment follows on the same line (`---# note`), which a
# YAML parser reads as a scalar, not a separator (cert-manager's rbac.yaml does this).
_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")


def parse_manifests(text: str, source: str, path: str) -> list[KubeObject]:
    objects = []
    docs = (yaml.load(part, Loader=_Loader) for part in _SEPARATOR.split(text) if part.strip())
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        if doc["kind"].endswith("List") and "items" in doc:
            objects += [KubeObject(item, source, path) for item in doc["items"] or []]
        else:
            objects.append(KubeObject(doc, source, path))
    return objects
