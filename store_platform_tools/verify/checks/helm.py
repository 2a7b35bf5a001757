"""Releases Helm refuses: a values schema violation or a template that fails on the given values."""

from __future__ import annotations

from ..context import Platform
from ..findings import Finding


def check(platform: Platform) -> list[Finding]:
    return [
        Finding(
            "helm", e.release, f"Helm refuses the release: {e.helm_message}", "change the values the program passes"
        )
        for e in platform.refused
    ]
