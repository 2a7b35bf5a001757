"""Run the program offline under mocks and write what the stack would create (DESIGN.md's render contract)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import yaml
from pulumi.runtime import settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.sync_await import _sync_await

from components.kube import RENDER_FILE_ANNOTATION

from . import cloud_mocks  # noqa: F401 - registers each cloud's computed outputs
from .mocks import SECRET, UNKNOWN, PlatformMocks, RecordingMonitor, plain
from .stackfile import StackConfig

if TYPE_CHECKING:
    from .verify.objects import KubeObject

# libyaml's emitter where PyYAML was built with it (its wheels are): a tenth of the pure-Python time.
_FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# Types that are not Kubernetes objects themselves (releases, providers, groups of YAML).
_NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize")


@dataclass
class RenderResult:
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)  # file name -> object


def run_program(stack: StackConfig, preview: bool = False) -> RenderResult:
    """Declare the stack's resources in-process under mocks; ConfigError propagates."""
    from components.program import build_platform

    pulumi.runtime.set_all_config(stack.values, stack.secret_keys)
    monitor = RecordingMonitor(PlatformMocks(preview))
    pulumi.runtime.set_mocks(monitor.mocks, project=stack.project, stack=stack.stack, preview=preview, monitor=monitor)
    outputs: dict[str, Any] = {}

    async def program() -> None:
        for key, value in build_platform().items():
            output = pulumi.Output.from_input(value)
            if await output.is_secret():
                outputs[key] = SECRET
            elif not await output.is_known():
                outputs[key] = UNKNOWN
            else:
                outputs[key] = plain(await output.future())

    try:
        _sync_await(runtime_stack.run_pulumi_func(program))
    finally:
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
    resources = sorted(monitor.registrations, key=lambda r: r["urn"])
    return RenderResult(resources, dict(sorted(outputs.items())), manifests_of(resources))


def manifests_of(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every Kubernetes object, keyed by a readable, unique file name."""
    out: dict[str, dict[str, Any]] = {}
    for r in resources:
        if (
            not r["type"].startswith("kubernetes:")
            or r["type"].startswith(_NOT_OBJECTS)
            or r["type"].startswith("pulumi:providers:")
        ):
            continue
        add_manifest(out, r["inputs"], r["type"].rsplit(":", 1)[-1], r["name"])
    return out


def add_manifest(
    manifests: dict[str, dict[str, Any]], obj: dict[str, Any], kind: str, name: str, prefix: str = ""
) -> None:
    """File `obj` under `<prefix><kind>_<namespace>_<name>.yaml`, numbered where that is taken."""
    meta = obj.get("metadata") or {}
    parts = [prefix, obj.get("kind", kind), meta.get("namespace"), meta.get("name") or name]
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", "_".join(str(p) for p in parts if p)).lower()
    file, n = f"{stem}.yaml", 2
    while file in manifests:
        file, n = f"{stem}-{n}.yaml", n + 1
    manifests[file] = obj


def write(result: RenderResult, stack: StackConfig, out: Path, installed: Sequence[KubeObject] = ()) -> None:
    """The render contract's files; `installed` are the objects the full render adds (Helm releases,
    Argo CD's services), filed under manifests/ as `installed_<kind>_<namespace>_<name>.yaml`."""
    if out.exists():
        shutil.rmtree(out)
    (out / "manifests").mkdir(parents=True)
    document = {
        "project": stack.project,
        "stack": stack.stack,
        "resources": result.resources,
        "outputs": result.outputs,
    }
    (out / "resources.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    manifests = dict(result.manifests)
    for installed_object in installed:
        add_manifest(manifests, installed_object.body, installed_object.kind, installed_object.name, "installed")
    for name, obj in manifests.items():
        (out / "manifests" / name).write_text(
            yaml.dump(obj, Dumper=_FAST_DUMPER, sort_keys=True, default_flow_style=False)
        )
    for path, obj in render_files(result).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(yaml.dump(obj, Dumper=_BlockTextDumper, sort_keys=True, default_flow_style=False))


def render_files(result: RenderResult) -> dict[str, dict[str, Any]]:
    """Objects also wanted as plain YAML files (annotated with their path under the output folder),
    e.g. the Argo CD bootstrap objects that teams bootstrapping from Git keep in their repository."""
    files: dict[str, dict[str, Any]] = {}
    for obj in result.manifests.values():
        path = ((obj.get("metadata") or {}).get("annotations") or {}).get(RENDER_FILE_ANNOTATION)
        if path is None:
            continue
        if path in files or Path(path).is_absolute() or ".." in Path(path).parts:
            raise ValueError(f"{RENDER_FILE_ANNOTATION} '{path}' must be a unique relative path inside the output")
        files[path] = obj
    return dict(sorted(files.items()))


class _BlockTextDumper(yaml.SafeDumper):
    """Multi-line strings (embedded templates, configs) as literal blocks, as a person would write them."""


_BlockTextDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def summary(result: RenderResult, stack: StackConfig, out: Path) -> str:
    types = Counter(r["type"] for r in result.resources)
    releases = sorted(
        f"{r['inputs'].get('namespace', '?')}/{r['inputs'].get('chart')}@{r['inputs'].get('version')}"
        for r in result.resources
        if r["type"] == "kubernetes:helm.sh/v3:Release"
    )
    lines = [
        f"stack {stack.stack}: {len(result.resources)} resources, {len(result.manifests)} Kubernetes objects, "
        f"{len(releases)} Helm releases -> {out}"
    ]
    lines += [f"  {count:4d}  {type_}" for type_, count in sorted(types.items(), key=lambda t: (-t[1], t[0]))]
    if releases:
        lines.append("releases:")
        lines += [f"  {r}" for r in releases]
    lines.append("outputs: " + ", ".join(f"{k}={v}" for k, v in result.outputs.items()))
    if stack.placeholders:
        lines.append(
            "needed before `pulumi up` (rendered with placeholders): "
            + ", ".join(f"store-platform:{k}" for k in stack.placeholders)
        )
    placeholders = [m for m in stack.missing_inputs if m.needed_for == "pulumi up"]
    if placeholders:
        lines.append(
            "inputs needed before `pulumi up` (rendered with placeholders, see docs/ci-setup.md): "
            + ", ".join(f"{m.path} ({m.purpose})" for m in placeholders)
        )
    ci_only = [m for m in stack.missing_inputs if m.needed_for == "CI"]
    if ci_only:
        lines.append("inputs needed before CI can deploy: " + ", ".join(f"{m.path} ({m.purpose})" for m in ci_only))
    if stack.unset_optional:
        lines.append(
            "optional secrets not set (their features are left out): "
            + ", ".join(f"store-platform:{k}" for k in stack.unset_optional)
        )
    return "\n".join(lines)
