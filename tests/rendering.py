"""Rendering stacks in-process for tests, cached: each stack x cloud x mode renders once per worker."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from store_platform_tools.render import RenderResult, run_program
from store_platform_tools.stackfile import StackConfig, load_stack

ROOT = Path(__file__).resolve().parent.parent
STACKS_ON_CLOUDS = [(s, c) for s in ("dev", "staging", "prod") for c in ("aws", "gcp", "azure")] + [
    ("local", "existing")
]


@functools.cache
def render(stack: str, cloud: str | None = None, preview: bool = False) -> RenderResult:
    return run_program(load_stack(ROOT, stack, cloud=cloud), preview=preview)


def render_with(stack: str, tmp_path: Path, platform: dict[str, Any], cloud: str | None = None) -> RenderResult:
    """Render `stack` with its platform config changed by `platform` (deep-merged), uncached."""
    return run_program(stack_with(stack, tmp_path, platform, cloud))


def stack_with(stack: str, tmp_path: Path, platform: dict[str, Any], cloud: str | None = None) -> StackConfig:
    from components.config.defaults import deep_merge

    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    document = copy.deepcopy(document)
    key = "store-platform:platform"
    document["config"][key] = deep_merge(document["config"].get(key) or {}, platform)
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_stack(ROOT, stack, config_file=path, cloud=cloud)


def of_type(result: RenderResult, type_: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["type"] == type_]


def one(result: RenderResult, type_: str, name: str | None = None) -> dict[str, Any]:
    """The single resource of `type_` (whose name ends with `name`, if given)."""
    found = [r for r in of_type(result, type_) if name is None or r["name"].endswith(name)]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r['name'] for r in found]}"
    return found[0]


def release(result: RenderResult, chart: str) -> dict[str, Any]:
    """The Helm release of `chart` (its inputs)."""
    found = [r for r in of_type(result, "kubernetes:helm.sh/v3:Release") if r["inputs"].get("chart") == chart]
    assert len(found) == 1, f"expected one release of chart {chart}, found {len(found)}"
    return found[0]["inputs"]


def chart_archives() -> Path:
    """The chart archives the full render reads: the cache `store-platform charts pull` fills, or
    the offline copy beside the repository. Tests of the platform as it will run need one."""
    import pytest

    for folder in (ROOT / ".charts", ROOT.parent / "shared" / "upstream" / "charts-pkg"):
        if any(folder.glob("*.tgz")):
            return folder
    pytest.skip("no chart archives: run `store-platform charts pull` (online) or put ../shared beside the repo")


@functools.cache
def full_platform(stack: str, cloud: str | None = None) -> Any:
    """The stack as it will run (verify's Platform), cached per worker."""
    from store_platform_tools.verify.run import platform_of

    loaded = load_stack(ROOT, stack, cloud=cloud)
    return platform_of(render(stack, cloud), loaded, chart_archives(), ROOT)


@functools.cache
def config_of(stack: str, cloud: str | None = None) -> Any:
    """The validated PlatformConfig the program sees for `stack` (on `cloud`)."""
    import json as _json

    from components.config import load_config

    loaded = load_stack(ROOT, stack, cloud=cloud)
    return load_config(_json.loads(loaded.values["store-platform:platform"]), stack)
