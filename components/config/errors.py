"""A config problem names the key's path and the fix; a ConfigError carries all of them at once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared; one line per problem. A RunError, so `pulumi up`
    prints the lines without a Python traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("invalid configuration:\n" + "\n".join(str(p) for p in self.problems))
