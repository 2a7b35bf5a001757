"""Reading a Pulumi project and its stack files, the way the engine would hand them to the program."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.config import (
    NAMESPACE,
    PLATFORM_KEY,
    SECRET_KEYS,
    ConfigError,
    RequiredInput,
    load_config,
    missing_inputs,
    retarget,
)
from components.config.defaults import deep_merge


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]  # full key -> engine-encoded value (JSON for objects)
    secret_keys: list[str]
    placeholders: list[str]  # required secret keys not in the file, given a placeholder value
    unset_optional: list[str]  # optional secret keys not in the file (their feature is left out)
    # Config inputs the stack file does not give yet (deployer, its CIDRs...): placeholders are
    # rendered for those `pulumi up` needs; the CI-only ones are listed.
    missing_inputs: list[RequiredInput] = field(default_factory=list)


def find_project(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise FileNotFoundError(f"no Pulumi.yaml in {start} or above; run from the store-platform repository")


def load_stack(
    project_dir: Path,
    stack: str,
    config_file: Path | None = None,
    cloud: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> StackConfig:
    """The stack as the engine would hand it to the program; `cloud` moves it to another cloud and
    `overrides` (platform config, stack-file form) are laid over its platform key, for what-ifs."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path}; pass --config-file or create Pulumi.{stack}.yaml")
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = dict(document.get("config") or {})
    platform_key = f"{NAMESPACE}:{PLATFORM_KEY}"
    if cloud is not None:
        config[platform_key] = retarget(dict(config.get(platform_key) or {}), cloud)
    if overrides:
        config[platform_key] = deep_merge(dict(config.get(platform_key) or {}), overrides)
    missing = _missing_inputs(config.get(platform_key), stack)
    for needed in missing:
        if needed.needed_for == "pulumi up":
            config[platform_key] = deep_merge(config.get(platform_key) or {}, _nested(needed.key, needed.placeholder))
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider: unreadable offline, so a placeholder.
            values[full] = f"placeholder-{full.split(':', 1)[1]}"
            secret_keys.append(full)
        else:
            values[full] = value if isinstance(value, str) else json.dumps(value)
    required = _required_secrets(config.get(platform_key), stack)
    placeholders, unset_optional = [], []
    for secret in SECRET_KEYS:
        full = f"{NAMESPACE}:{secret.key}"
        if full in values:
            continue
        if secret.key in required:
            values[full] = f"placeholder-{secret.key}"
            secret_keys.append(full)
            placeholders.append(secret.key)
        else:
            unset_optional.append(secret.key)
    return StackConfig(project, stack, values, sorted(secret_keys), placeholders, unset_optional, missing)


def _missing_inputs(platform: Any, stack: str) -> list[RequiredInput]:
    try:
        return missing_inputs(load_config(platform, stack))
    except ConfigError:
        return []  # the program reports the invalid config


def _nested(key: str, value: Any) -> dict[str, Any]:
    """`a.b` and a value as {"a": {"b": value}}."""
    head, _, rest = key.partition(".")
    return {head: _nested(rest, value) if rest else value}


def _required_secrets(platform: Any, stack: str) -> set[str]:
    """The secret keys this stack needs: by its environment, and by the features its config turns
    on. An invalid config falls back to the environment alone (the program then reports it)."""
    try:
        config = load_config(platform, stack)
    except ConfigError:
        environment = platform.get("environment", stack) if isinstance(platform, dict) else stack
        return {s.key for s in SECRET_KEYS if environment in s.required_in}
    return {s.key for s in SECRET_KEYS if s.required_by(config)}


def parse_overrides(assignments: list[str]) -> dict[str, Any]:
    """`mesh.provider=linkerd`-style assignments (values read as YAML) as a nested platform config."""
    out: dict[str, Any] = {}
    for assignment in assignments:
        path, sep, value = assignment.partition("=")
        if not sep or not path:
            raise ValueError(f"--set {assignment!r}: expected KEY.PATH=VALUE, e.g. mesh.provider=linkerd")
        node = out
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = yaml.safe_load(value)
    return out
