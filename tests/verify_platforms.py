"""The platform as it will run (verify's full render) for tests, cached per worker: every shipped
stack on every cloud, plus the Linkerd and Jaeger variants CI verifies."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import load_config
from components.config.defaults import deep_merge
from components.config.model import PlatformConfig
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.run import platform_of
from tests.rendering import ROOT, STACKS_ON_CLOUDS, render

CHARTS = ROOT.parent / "shared" / "upstream" / "charts-pkg"

# name -> (stack, cloud, platform config merged over the stack file's)
VARIANTS: dict[str, tuple[str, str | None, str | None]] = {
    **{f"{s}-{c}": (s, c, None) for s, c in STACKS_ON_CLOUDS},
    "prod-gcp-linkerd": ("prod", "gcp", json.dumps({"mesh": {"provider": "linkerd"}})),
    "prod-aws-jaeger": ("prod", "aws", json.dumps({"observability": {"tracing": "jaeger"}})),
}


@functools.cache
def platform(stack: str, cloud: str | None = None, extra: str | None = None) -> Platform:
    """`extra`: JSON of platform settings deep-merged over the stack file's (hashable for the cache)."""
    if not extra:  # the program's render, shared with the other tests of this worker
        return platform_of(render(stack, cloud), load_stack(ROOT, stack, None, cloud), CHARTS, ROOT)
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    key = "store-platform:platform"
    document["config"][key] = deep_merge(document["config"].get(key) or {}, json.loads(extra))
    config_file = Path(tempfile.mkdtemp()) / f"Pulumi.{stack}.yaml"
    config_file.write_text(yaml.safe_dump(document))
    stack_file = load_stack(ROOT, stack, config_file, cloud)
    return platform_of(run_program(stack_file), stack_file, CHARTS, ROOT)


def stack_config(stack: str = "dev", **cluster: Any) -> PlatformConfig:
    """A stack's validated platform config without rendering it; `cluster` overrides cluster settings."""
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["store-platform:platform"]
    raw = {**raw, "cluster": {**(raw.get("cluster") or {}), **cluster}}
    return load_config(raw, stack)


def variant_params() -> list[Any]:
    """VARIANTS as pytest params, each in an xdist group of its own: under `--dist loadgroup` every
    test of one variant runs on one worker, which then renders it once."""
    return [pytest.param(name, id=name, marks=pytest.mark.xdist_group(f"verify-{name}")) for name in VARIANTS]
