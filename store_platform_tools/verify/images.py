"""Every image the stack runs, read from its pods (mesh proxies included)."""

from __future__ import annotations

from collections.abc import Iterable

from .pods import Pod


def images_of(pods: Iterable[Pod]) -> set[str]:
    return {c["image"] for pod in pods for c in pod.all_containers() if c.get("image")}
