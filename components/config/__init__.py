"""Stack configuration: read once, validated once, before any resource is declared."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .access import RequiredInput, missing_inputs
from .errors import ConfigError, Problem
from .load import load_config, retarget
from .model import SERVICES, PlatformConfig
from .secrets import SECRET_KEYS, SecretKey

NAMESPACE = "store-platform"
PLATFORM_KEY = "platform"

__all__ = [
    "NAMESPACE",
    "PLATFORM_KEY",
    "SECRET_KEYS",
    "SERVICES",
    "ConfigError",
    "PlatformConfig",
    "Problem",
    "RequiredInput",
    "SecretKey",
    "Secrets",
    "load_config",
    "missing_inputs",
    "read_stack_config",
    "retarget",
]


@dataclass(frozen=True)
class Secrets:
    """The stack's secret config values, each a secret Output, or None where not set (and not required)."""

    values: dict[str, pulumi.Output[str] | None]

    def get(self, key: str) -> pulumi.Output[str] | None:
        if key not in self.values:
            raise KeyError(f"secret '{key}' is not declared in components/config/secrets.py")
        return self.values[key]


def read_stack_config() -> tuple[PlatformConfig, Secrets]:
    """Read `store-platform:platform` and the secret keys of the current stack.

    Raises ConfigError listing every problem, the missing required secrets included."""
    config = pulumi.Config(NAMESPACE)
    problems: list[Problem] = []
    platform: PlatformConfig | None = None
    try:
        platform = load_config(config.get_object(PLATFORM_KEY), pulumi.get_stack())
    except ConfigError as e:
        problems += e.problems
    values: dict[str, pulumi.Output[str] | None] = {}
    for secret in SECRET_KEYS:
        values[secret.key] = config.get_secret(secret.key)
        if values[secret.key] is None and platform is not None and secret.required_by(platform):
            problems.append(
                Problem(
                    f"{NAMESPACE}:{secret.key}",
                    f"required in {platform.environment} ({secret.purpose}); run "
                    f"`pulumi config set --secret {secret.key} <value> --stack {pulumi.get_stack()}`",
                )
            )
    if platform is not None:
        problems += [
            Problem(
                f"{NAMESPACE}:{PLATFORM_KEY}.{needed.key}",
                f"required in {platform.environment} on {platform.cloud}: {needed.purpose}; add it under "
                f"cluster in Pulumi.{pulumi.get_stack()}.yaml (docs/ci-setup.md)",
            )
            for needed in missing_inputs(platform)
            if needed.needed_for == "pulumi up"
        ]
    if problems:
        raise ConfigError(problems)
    assert platform is not None
    return platform, Secrets(values)
