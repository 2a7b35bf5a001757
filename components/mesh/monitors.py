"""How Prometheus scrapes the mesh: the proxies of every meshed pod and the control plane.

Every proxy target gets the pod label `app.kubernetes.io/name` as `app`, the label the queries
in `metrics.py` select a service by (Linkerd's series carry no service name of their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

APP_LABEL = {
    "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
    "targetLabel": "app",
}
ALL_NAMESPACES = {"any": True}


@dataclass(frozen=True)
class Monitor:
    role: str  # the child resource's role in its name
    kind: Literal["PodMonitor", "ServiceMonitor"]
    name: str
    spec: dict[str, Any]


def _exists(label: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": label, "operator": "Exists"}]}


def istio_monitors(system_namespace: str) -> list[Monitor]:
    return [
        Monitor(
            "proxies-monitor",
            "PodMonitor",
            "istio-proxies",
            {
                # Sidecars and gateways carry this label once injected.
                "selector": _exists("security.istio.io/tlsMode"),
                "namespaceSelector": ALL_NAMESPACES,
                # Envoy's own Prometheus endpoint on the istio-proxy container.
                "podMetricsEndpoints": [
                    {"port": "http-envoy-prom", "path": "/stats/prometheus", "relabelings": [APP_LABEL]}
                ],
            },
        ),
        Monitor(
            "control-plane-monitor",
            "ServiceMonitor",
            "istiod",
            {
                "selector": {"matchLabels": {"app": "istiod"}},
                "namespaceSelector": {"matchNames": [system_namespace]},
                "endpoints": [{"port": "http-monitoring"}],
            },
        ),
    ]


def linkerd_monitors(control_plane_namespace: str) -> list[Monitor]:
    return [
        Monitor(
            "proxies-monitor",
            "PodMonitor",
            "linkerd-proxies",
            {
                # Every injected pod is labelled with the control plane that meshes it.
                "selector": _exists("linkerd.io/control-plane-ns"),
                "namespaceSelector": ALL_NAMESPACES,
                "podMetricsEndpoints": [{"port": "linkerd-admin", "path": "/metrics", "relabelings": [APP_LABEL]}],
            },
        ),
        Monitor(
            "control-plane-monitor",
            "PodMonitor",
            "linkerd-control-plane",
            {
                "selector": _exists("linkerd.io/control-plane-component"),
                "namespaceSelector": {"matchNames": [control_plane_namespace]},
                "podMetricsEndpoints": [{"port": "admin-http", "path": "/metrics"}],
            },
        ),
    ]
