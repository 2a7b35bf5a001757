"""Rendering charts/service offline the way Argo CD will: value files layered as the
ApplicationSet lists them, then the values it passes from the stack config, through the real
Helm engine (helm-python, a development dependency). Used by the chart's tests and its scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from components.addresses import SERVICES_NAMESPACE
from components.config import SERVICES, PlatformConfig, load_config
from components.config.defaults import deep_merge
from components.config.model import ServiceConfig
from components.frontdoor.hosts import store_host

CHART = Path(__file__).resolve().parent.parent / "charts" / "service"
SHIPPED_ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")  # each has values/<env>.yaml


def stack_config(project_dir: Path, stack: str) -> PlatformConfig:
    """The validated platform config of Pulumi.<stack>.yaml, as the program sees it."""
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text()) or {}
    return load_config((document.get("config") or {}).get("store-platform:platform"), stack)


def passed_values(config: PlatformConfig, service: str) -> dict[str, Any]:
    """The values the ApplicationSet passes each service's Application (helm.valuesObject)."""
    services = cast("dict[str, ServiceConfig]", config.services)
    slo = services[service].slo
    store = store_host(config)
    return {
        "service": service,
        "environment": config.environment,
        "cloud": config.cloud,
        "mesh": config.mesh.provider,
        "slo": {"availability": slo.availability, "latencyP95Ms": slo.latency_p95_ms},
        "calls": list(services[service].calls),
        "calledBy": [caller for caller in SERVICES if service in services[caller].calls],
        "ingress": {"host": store.name, "tlsCredentialName": store.tls_secret},
    }


def value_files(service: str, environment: str) -> list[Path]:
    """The ApplicationSet's value files for one Application, in order, those that exist
    (it sets ignoreMissingValueFiles)."""
    candidates = [f"values/{service}.yaml", f"values/{environment}.yaml", f"values/{environment}/{service}.yaml"]
    return [CHART / name for name in candidates if (CHART / name).is_file()]


def layered_values(service: str, environment: str, passed: dict[str, Any]) -> dict[str, Any]:
    """Value files merged as Helm merges `-f` files (maps key by key, lists replaced), then `passed`."""
    values: dict[str, Any] = {}
    for path in value_files(service, environment):
        values = deep_merge(values, yaml.safe_load(path.read_text()) or {})
    merged: dict[str, Any] = deep_merge(values, passed)
    return merged


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object the chart renders with `values`, in the services' namespace; raises Helm's
    error (schema or template) when the values are refused."""
    import helm_python

    with helm_python.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=str(values.get("service", "service")), namespace=SERVICES_NAMESPACE)
    objects = []
    for _, text in sorted(manifests.items()):
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects
