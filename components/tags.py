"""The tags/labels every cloud resource carries, so cost and ownership can be traced back."""

from __future__ import annotations

from .config.model import PlatformConfig


def standard_tags(config: PlatformConfig) -> dict[str, str]:
    # Lowercase keys and values: the strictest of the three clouds (GCP labels) accepts them as-is.
    return {"project": config.project, "environment": config.environment, "managed-by": "pulumi"}
