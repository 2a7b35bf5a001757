"""The checks verify runs, each a pure function from the platform as it will run to findings."""

from __future__ import annotations

from collections.abc import Callable

from ..context import Platform
from ..findings import Finding
from . import admission, helm

Check = Callable[[Platform], list[Finding]]

CHECKS: dict[str, Check] = {
    "helm": helm.check,
    "admission": admission.check,
}
