"""How a namespace joins the mesh, for each provider: what the services' namespace carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Enrolment:
    labels: dict[str, str]
    annotations: dict[str, str]


def enrolment(provider: str) -> Enrolment:
    if provider == "istio":
        return Enrolment(labels={"istio-injection": "enabled"}, annotations={})
    if provider == "linkerd":
        return Enrolment(labels={}, annotations={"linkerd.io/inject": "enabled"})
    raise ValueError(f"unknown mesh provider {provider!r}")
