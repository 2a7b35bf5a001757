"""SLOs as data: one Sloth `PrometheusServiceLevel` per service, from `services.<name>.slo`.

Sloth turns each into recording rules and the SRE workbook's multi-window multi-burn-rate
alerts (page: 14.4x over 1h/5m and 6x over 6h/30m; ticket: 3x over 1d/2h and 1x over 3d/6h,
Sloth's built-in 30-day windows). Page alerts carry alerting.PAGE_LABELS and tickets
TICKET_LABELS, which is how Alertmanager routes them. Queries come from the mesh's request
metrics, so the SLOs follow `mesh.provider`.
"""

from __future__ import annotations

from typing import Any

from ..config import PlatformConfig
from ..mesh.metrics import RequestMetrics
from .alerting import PAGE_LABELS, TICKET_LABELS
from .hardening import RESTRICTED_CONTAINER, RESTRICTED_POD
from .sizing import size

# Upper bounds (le) of each mesh's request-duration histogram, in ms: Istio's default buckets
# (istio.io, "Istio Standard Metrics") and Linkerd's proxy buckets (linkerd.io, proxy metrics).
# A latency SLO counts a request as fast only under a bound at or below its objective.
_BUCKET_BOUNDS_MS: dict[str, tuple[float, ...]] = {
    "istio": (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000),
    "linkerd": (1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000),
}
LATENCY_OBJECTIVE = 95.0  # "p95 under N ms": 95% of requests faster than N ms


def latency_bound_ms(metrics: RequestMetrics, objective_ms: int) -> float:
    """The largest histogram bound not above `objective_ms` (conservative: never looser)."""
    bounds = [b for b in _BUCKET_BOUNDS_MS[metrics.provider] if b <= objective_ms]
    if not bounds:
        raise ValueError(f"{objective_ms} ms is below the smallest {metrics.provider} latency bucket")
    return bounds[-1]


def _le(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _alerting(service: str, slo: str, what: str) -> dict[str, Any]:
    summary = f"{service}: {what} error budget burning too fast"
    return {
        "name": f"{service.capitalize()}{slo.capitalize()}BudgetBurn",
        "labels": {"service": service},
        "annotations": {"summary": summary},
        "pageAlert": {"labels": PAGE_LABELS},
        "ticketAlert": {"labels": TICKET_LABELS},
    }


def service_level_spec(config: PlatformConfig, service: str, metrics: RequestMetrics) -> dict[str, Any]:
    """The `spec` of `service`'s PrometheusServiceLevel: availability and latency SLOs."""
    slo = config.services[service].slo  # type: ignore[index]
    total = f"sum(rate({metrics.requests(service)}[{{{{.window}}}}]))"
    bound = latency_bound_ms(metrics, slo.latency_p95_ms)
    bucket = metrics.duration_buckets(service)[:-1] + f',le="{_le(bound)}"}}'
    return {
        "service": service,
        "labels": {"team": config.services[service].team},  # type: ignore[index]
        "slos": [
            {
                "name": "availability",
                "objective": slo.availability,
                "description": f"{slo.availability}% of {service}'s requests succeed (no 5xx).",
                "sli": {
                    "events": {
                        "errorQuery": f"sum(rate({metrics.errors(service)}[{{{{.window}}}}]))",
                        "totalQuery": total,
                    }
                },
                "alerting": _alerting(service, "availability", "availability"),
            },
            {
                "name": "latency",
                "objective": LATENCY_OBJECTIVE,
                "description": f"{LATENCY_OBJECTIVE:g}% of {service}'s requests complete within {_le(bound)} ms.",
                "sli": {
                    "events": {"errorQuery": f"{total} - sum(rate({bucket}[{{{{.window}}}}]))", "totalQuery": total}
                },
                "alerting": _alerting(service, "latency", "latency"),
            },
        ],
    }


def slo_period_days(config: PlatformConfig) -> int:
    """The one SLO period Sloth evaluates (config rules require every service to agree)."""
    return next(iter(config.services.values())).slo.window_days


def sloth_values(config: PlatformConfig) -> dict[str, Any]:
    """Sloth's chart has no node selector or tolerations: its one small pod lands where the
    scheduler puts it (the system pool's taint keeps it off only that pool)."""
    return {
        "sloth": {"defaultSloPeriod": f"{slo_period_days(config)}d"},
        # The common SLI plugins are git-synced from GitHub at start-up; the SLOs here use plain
        # queries, so nothing is fetched at run time.
        "commonPlugins": {"enabled": False},
        "metrics": {"enabled": True},
        "resources": size(config, "sloth").resources(),
        # The chart sets no security context; nobody (65534), as the image does not name a user.
        "securityContext": {"pod": RESTRICTED_POD | {"runAsUser": 65534}, "container": RESTRICTED_CONTAINER},
    }
