"""The request metrics each mesh's proxies expose, as PromQL selectors per service.

SLOs, dashboards and alerts ask this module, never a metric name of their own, so switching
`mesh.provider` moves every query to the other mesh's series in one place. The proxies are
scraped with the pod label `app.kubernetes.io/name` copied to `app` (see the PodMonitors)."""

from __future__ import annotations

from dataclasses import dataclass

from ..addresses import SERVICES_NAMESPACE


@dataclass(frozen=True)
class RequestMetrics:
    provider: str
    requests_total: str  # counter of requests received by a service
    duration_bucket: str  # histogram buckets of server-side latency, in `duration_unit`
    duration_unit: str  # "ms" for both meshes today; thresholds convert through this
    _service_matcher: str  # label matcher template selecting one destination service
    _error_matcher: str  # extra matcher selecting failed (5xx) requests

    def requests(self, service: str) -> str:
        return f"{self.requests_total}{{{self._service(service)}}}"

    def errors(self, service: str) -> str:
        return f"{self.requests_total}{{{self._service(service)},{self._error_matcher}}}"

    def duration_buckets(self, service: str) -> str:
        return f"{self.duration_bucket}{{{self._service(service)}}}"

    def _service(self, service: str) -> str:
        return self._service_matcher.format(service=service, namespace=SERVICES_NAMESPACE)


_ISTIO = RequestMetrics(
    provider="istio",
    requests_total="istio_requests_total",
    duration_bucket="istio_request_duration_milliseconds_bucket",
    duration_unit="ms",
    # reporter="destination": measured by the server's sidecar, the service's own view.
    _service_matcher='reporter="destination",destination_service_namespace="{namespace}",'
    'destination_service_name="{service}"',
    _error_matcher='response_code=~"5.."',
)
_LINKERD = RequestMetrics(
    provider="linkerd",
    requests_total="response_total",
    duration_bucket="response_latency_ms_bucket",
    duration_unit="ms",
    _service_matcher='direction="inbound",namespace="{namespace}",app="{service}"',
    _error_matcher='classification="failure"',
)


def request_metrics(provider: str) -> RequestMetrics:
    return {"istio": _ISTIO, "linkerd": _LINKERD}[provider]
