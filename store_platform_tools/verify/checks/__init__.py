"""The checks verify runs, each a pure function from the platform as it will run to findings."""

from __future__ import annotations

from collections.abc import Callable

from ..context import Platform
from ..findings import Finding
from . import admission, helm, images, network, pod_security, schemas, wiring

Check = Callable[[Platform], list[Finding]]

CHECKS: dict[str, Check] = {
    "helm": helm.check,
    "schemas": schemas.check,
    "pod-security": pod_security.check,
    "wiring": wiring.check,
    "images": images.check,
    "network": network.check,
    "admission": admission.check,
}
