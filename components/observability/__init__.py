"""The observability area: metrics and alerts, dashboards, logs, traces and SLOs."""

from .component import AGENTS_NAMESPACE, Observability

__all__ = ["AGENTS_NAMESPACE", "Observability"]
