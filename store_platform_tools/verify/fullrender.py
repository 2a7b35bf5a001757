"""Full render: the program's own objects plus every object its Helm releases install.

Each `kubernetes:helm.sh/v3:Release` in the render is rendered from its chart archive through the
real Helm engine (helm-python), with exactly the values the program passes, as `helm install`
would: values checked against the chart's schema, CRDs from `crds/` included unless skipped,
test hooks left out, namespaced objects placed in the release namespace. Each
`kubernetes:yaml/v2:ConfigFile` applying a chart's CRDs from its upstream source
(catalogue.CHART_CRD_FILES) gets the same file from the pinned chart's archive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.catalogue import CATALOGUE, CHART_CRD_FILES

from .charts import require_archive
from .cluster_baseline import baseline_objects
from .objects import KubeObject, default_namespaces
from .operators import operator_services

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
CONFIG_FILE_TYPE = "kubernetes:yaml/v2:ConfigFile"
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


class UnknownManifestSource(ValueError):
    """A ConfigFile whose file is not a chart CRD file the catalogue knows: verify cannot read it offline."""


def _version_in(url: str, template: str) -> str | None:
    head, _, tail = template.partition("{version}")
    if url.startswith(head) and url.endswith(tail) and len(url) > len(head) + len(tail):
        version = url[len(head) : len(url) - len(tail)]
        return version if "/" not in version else None
    return None


def config_file_objects(resources: Iterable[dict[str, Any]], charts_dir: Path) -> list[KubeObject]:
    """What each ConfigFile applies, read offline: a chart CRD file (CHART_CRD_FILES) comes from the
    archive of the chart version its URL names, the same file upstream tagged with that release."""
    import helm_python

    objects: list[KubeObject] = []
    for r in resources:
        if r["type"] != CONFIG_FILE_TYPE:
            continue
        url = r["inputs"]["file"]
        found = [(crd, v) for crd in CHART_CRD_FILES.values() if (v := _version_in(url, crd.url)) is not None]
        if not found:
            raise UnknownManifestSource(
                f"ConfigFile {r['name']}: {url} is no chart CRD file in components/catalogue.py CHART_CRD_FILES; "
                "verify reads only those offline"
            )
        crd, version = found[0]
        chart = helm_python.Chart.load(require_archive(charts_dir, CATALOGUE[crd.component].chart, version))
        files = [f for f in chart.crds if f["filename"].endswith("/" + crd.path)]
        if not files:
            raise UnknownManifestSource(
                f"ConfigFile {r['name']}: {crd.path} is not in the {crd.component} {version} chart"
            )
        for f in files:
            objects += parse_manifests(f["data"], f"configfile {r['name']}", crd.path)
    return objects


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
    objects = list(program) + config_file_objects(resources, charts_dir)
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
