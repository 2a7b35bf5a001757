"""verify: the stack's full render checked as a whole (DESIGN.md, "The platform as it will run")."""

from __future__ import annotations

import json
from pathlib import Path

from components.config import NAMESPACE, PLATFORM_KEY, load_config

from ..render import RenderResult
from ..stackfile import StackConfig
from .checks import CHECKS
from .context import Platform
from .findings import Finding
from .fullrender import full_render
from .objects import ObjectSet


def platform_of(result: RenderResult, stack: StackConfig, charts_dir: Path, project_dir: Path) -> Platform:
    """The stack as it will run: the program's objects, every release's and the services'."""
    config = load_config(json.loads(stack.values.get(f"{NAMESPACE}:{PLATFORM_KEY}", "{}")), stack.stack)
    rendered = full_render(result.manifests.values(), result.resources, charts_dir, project_dir, config.cloud)
    return Platform(ObjectSet(rendered.objects), config, rendered.refused)


def run_checks(platform: Platform, only: list[str] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for name, check in CHECKS.items():
        if only is None or name in only:
            findings += check(platform)
    return sorted(set(findings))
