"""Everything a check looks at: the objects as they will run, their pods, and the stack's config."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from components.config import PlatformConfig

from .fullrender import HelmRefused
from .objects import ObjectSet
from .pods import Pod, expand


@dataclass
class Platform:
    objects: ObjectSet
    config: PlatformConfig
    refused: list[HelmRefused] = field(default_factory=list)

    @cached_property
    def pods(self) -> list[Pod]:
        return expand(self.objects)
