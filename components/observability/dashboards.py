"""Dashboards as code (grafana-foundation-sdk): one per service, all six alike, and the weekly
review. Request metrics come from the mesh's module; SLO series are Sloth's recording rules
(`slo:*`, labelled `sloth_service` / `sloth_slo`); logs are the agent's OTLP labels in Loki."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard, logs, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import loki as loki_query
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from ..addresses import SERVICES_NAMESPACE
from ..config import SERVICES
from ..mesh.metrics import RequestMetrics
from .grafana import LOKI_UID, PROMETHEUS_UID

_PROMETHEUS = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
_LOKI = DataSourceRef(type_val="loki", uid=LOKI_UID)
_RATE = "5m"


def error_logs(service: str) -> str:
    """LogQL: `service`'s error lines (level lifted from its JSON by the log agent)."""
    return f'{{k8s_namespace_name="{SERVICES_NAMESPACE}", service_name="{service}"}} | level="error"'


def _pods(service: str) -> str:
    # The six names share no prefix, so `<service>-` picks out one service's pods.
    return f'namespace="{SERVICES_NAMESPACE}", pod=~"{service}-.*"'


def _prom(expr: str, legend: str, exemplar: bool = False) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id("A").exemplar(exemplar)


def _series(title: str, unit: str, *queries: prometheus.Dataquery) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).datasource(_PROMETHEUS).unit(unit).height(8).span(8)
    for i, query in enumerate(queries):
        panel = panel.with_target(query.ref_id(chr(ord("A") + i)))
    return panel


def _slo(service: str, slo: str) -> str:
    return f'sloth_service="{service}", sloth_slo="{slo}"'


def service_dashboard(service: str, metrics: RequestMetrics) -> dashboard.Dashboard:
    requests = f"sum(rate({metrics.requests(service)}[{_RATE}]))"
    errors = f"sum(rate({metrics.errors(service)}[{_RATE}]))"
    buckets = f"sum by (le) (rate({metrics.duration_buckets(service)}[{_RATE}]))"
    latency = [
        _prom(f"histogram_quantile({q}, {buckets})", f"p{int(q * 100)}", exemplar=True) for q in (0.5, 0.95, 0.99)
    ]
    budget = "slo:period_error_budget_remaining:ratio"
    burn = "slo:current_burn_rate:ratio"
    return (
        dashboard.Dashboard(f"Service: {service}")
        .uid(f"store-{service}")
        .tags(["store", "service", service])
        .refresh("1m")
        .time("now-6h", "now")
        .with_row(dashboard.Row("Traffic"))
        .with_panel(_series("Request rate", "reqps", _prom(requests, "requests/s")))
        .with_panel(_series("Error ratio (5xx)", "percentunit", _prom(f"{errors} / {requests}", "errors")))
        # Exemplars on the latency series link a slow bucket to a trace of it.
        .with_panel(_series(f"Latency ({metrics.duration_unit})", metrics.duration_unit, *latency))
        .with_row(dashboard.Row("SLO"))
        .with_panel(
            _series(
                "Error budget remaining",
                "percentunit",
                _prom(f"{budget}{{{_slo(service, 'availability')}}}", "availability"),
                _prom(f"{budget}{{{_slo(service, 'latency')}}}", "latency"),
            )
        )
        .with_panel(
            _series(
                "Burn rate",
                "short",
                _prom(f"{burn}{{{_slo(service, 'availability')}}}", "availability"),
                _prom(f"{burn}{{{_slo(service, 'latency')}}}", "latency"),
            )
        )
        .with_row(dashboard.Row("Saturation"))
        .with_panel(
            _series(
                "CPU (cores)",
                "short",
                _prom(
                    f'sum(rate(container_cpu_usage_seconds_total{{{_pods(service)}, container!=""}}[{_RATE}]))', "used"
                ),
            )
        )
        .with_panel(
            _series(
                "Memory (working set)",
                "bytes",
                _prom(f'sum(container_memory_working_set_bytes{{{_pods(service)}, container!=""}})', "used"),
            )
        )
        .with_panel(
            _series(
                "Restarts (1h)",
                "short",
                _prom(f"sum(increase(kube_pod_container_status_restarts_total{{{_pods(service)}}}[1h]))", "restarts"),
            )
        )
        .with_row(dashboard.Row("Logs"))
        .with_panel(
            logs.Panel()
            .title("Recent error logs")
            .datasource(_LOKI)
            .height(10)
            .span(24)
            .with_target(loki_query.Dataquery().expr(error_logs(service)).ref_id("A").max_lines(200))
        )
    )


def _namespaced(resource: str, used: str, unit: str) -> timeseries.Panel:
    return _series(
        f"{resource.capitalize()}: requested vs used, by namespace",
        unit,
        _prom(
            f'sum by (namespace) (kube_pod_container_resource_requests{{resource="{resource}"}})',
            "{{namespace}} requested",
        ),
        _prom(f"sum by (namespace) ({used})", "{{namespace}} used"),
    ).span(12)


def weekly_review_dashboard() -> dashboard.Dashboard:
    """The playbook's weekly review: SLO status of all six, error-log volume, and the cost
    proxy (requested versus used CPU and memory, by namespace)."""
    review = (
        dashboard.Dashboard("Weekly review")
        .uid("store-weekly-review")
        .tags(["store", "weekly-review"])
        .time("now-7d", "now")
        .with_row(dashboard.Row("SLO status (error budget remaining)"))
    )
    for service in SERVICES:
        review = review.with_panel(
            stat.Panel()
            .title(service)
            .datasource(_PROMETHEUS)
            .unit("percentunit")
            .height(4)
            .span(4)
            .with_target(_prom(f'min(slo:period_error_budget_remaining:ratio{{sloth_service="{service}"}})', service))
        )
    error_volume = (
        f'sum by (service_name) (count_over_time({{k8s_namespace_name="{SERVICES_NAMESPACE}"}} | level="error" [1h]))'
    )
    return (
        review.with_row(dashboard.Row("Errors"))
        .with_panel(
            timeseries.Panel()
            .title("Error-log volume (lines per hour)")
            .datasource(_LOKI)
            .height(8)
            .span(24)
            .with_target(loki_query.Dataquery().expr(error_volume).legend_format("{{service_name}}").ref_id("A"))
        )
        .with_row(dashboard.Row("Cost proxy"))
        .with_panel(_namespaced("cpu", f'rate(container_cpu_usage_seconds_total{{container!=""}}[{_RATE}])', "short"))
        .with_panel(_namespaced("memory", 'container_memory_working_set_bytes{container!=""}', "bytes"))
    )


def to_json(board: dashboard.Dashboard) -> str:
    """The dashboard's JSON model, as the Grafana sidecar loads it; stable key order and panel ids."""
    model = json.loads(JSONEncoder().encode(board.build()))
    for number, panel in enumerate(model["panels"], start=1):
        panel["id"] = number
    return json.dumps(model, sort_keys=True, indent=2)


def all_dashboards(metrics: RequestMetrics) -> dict[str, dashboard.Dashboard]:
    """Every dashboard by a short name: the six services in the playbook's order, then the review."""
    boards: dict[str, Any] = {service: service_dashboard(service, metrics) for service in SERVICES}
    boards["weekly-review"] = weekly_review_dashboard()
    return boards
