"""Pods and Services that the Prometheus operator creates from Prometheus and Alertmanager resources.

No chart renders these StatefulSets: the operator builds them at run time. They are the pods that
scrape, alert and receive pushed metrics, so the network, Pod Security and wiring checks need
them. Built from the facts of prometheus-operator's StatefulSet generation (the version the
pinned kube-prometheus-stack carries): its pod labels, container names and ports, the
restricted container security context it sets, and the Secrets and ConfigMaps it mounts (the
generated ones it creates itself; `spec.secrets` and `spec.configMaps` it only mounts).
"""

from __future__ import annotations

from typing import Any

from .objects import KubeObject, ObjectSet

_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
RELOADER_PORT = 8080


def _reloader_image(objects: ObjectSet) -> str:
    for deployment in objects.of_kind("Deployment"):
        for container in deployment.spec.get("template", {}).get("spec", {}).get("containers") or []:
            for arg in container.get("args") or []:
                if arg.startswith("--prometheus-config-reloader="):
                    return str(arg.split("=", 1)[1])
    return "quay.io/prometheus-operator/prometheus-config-reloader"


def _mounted(resource: KubeObject) -> list[dict[str, Any]]:
    secrets = [{"name": f"secret-{s}", "secret": {"secretName": s}} for s in resource.spec.get("secrets") or []]
    maps = [{"name": f"configmap-{c}", "configMap": {"name": c}} for c in resource.spec.get("configMaps") or []]
    return secrets + maps


def _pod(
    resource: KubeObject, app: str, main: dict[str, Any], generated: list[dict[str, Any]], reloader: str
) -> dict[str, Any]:
    name = resource.name
    labels = {
        **((resource.spec.get("podMetadata") or {}).get("labels") or {}),
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "app.kubernetes.io/instance": name,
        "operator.prometheus.io/name": name,
        app: name,
    }
    if app == "prometheus":
        labels["operator.prometheus.io/shard"] = "0"
    reloader_container = {
        "name": "config-reloader",
        "image": reloader,
        "ports": [{"name": "reloader-web", "containerPort": RELOADER_PORT, "protocol": "TCP"}],
        "securityContext": _CONTAINER_SECURITY,
    }
    spec: dict[str, Any] = {
        "serviceAccountName": resource.spec.get("serviceAccountName", "default"),
        "securityContext": resource.spec.get("securityContext") or {},
        "nodeSelector": resource.spec.get("nodeSelector"),
        "tolerations": resource.spec.get("tolerations"),
        "initContainers": [{**reloader_container, "name": "init-config-reloader", "ports": []}],
        "containers": [{**main, "securityContext": _CONTAINER_SECURITY}, reloader_container],
        "volumes": generated + _mounted(resource),
    }
    return {"metadata": {"name": f"{app}-{name}-0", "labels": labels}, "spec": {k: v for k, v in spec.items() if v}}


def operator_pods(objects: ObjectSet) -> list[tuple[KubeObject, dict[str, Any]]]:
    """(resource, pod template) for each Prometheus and Alertmanager resource."""
    reloader = _reloader_image(objects)
    out = []
    for p in objects.of_kind("Prometheus"):
        port = {"name": p.spec.get("portName", "web"), "containerPort": 9090, "protocol": "TCP"}
        main = {"name": "prometheus", "image": p.spec.get("image", "quay.io/prometheus/prometheus"), "ports": [port]}
        generated = [
            {"name": "config", "secret": {"secretName": f"prometheus-{p.name}"}},
            {"name": "tls-assets", "secret": {"secretName": f"prometheus-{p.name}-tls-assets-0"}},
            {"name": "web-config", "secret": {"secretName": f"prometheus-{p.name}-web-config"}},
            {"name": "rules", "configMap": {"name": f"prometheus-{p.name}-rulefiles-0"}},
        ]
        out.append((p, _pod(p, "prometheus", main, generated, reloader)))
    for a in objects.of_kind("Alertmanager"):
        ports = [
            {"name": a.spec.get("portName", "web"), "containerPort": 9093, "protocol": "TCP"},
            {"name": "mesh-tcp", "containerPort": 9094, "protocol": "TCP"},
            {"name": "mesh-udp", "containerPort": 9094, "protocol": "UDP"},
        ]
        main = {"name": "alertmanager", "image": a.spec.get("image", "quay.io/prometheus/alertmanager"), "ports": ports}
        generated = [
            {"name": "config-volume", "secret": {"secretName": f"alertmanager-{a.name}-generated"}},
            {"name": "tls-assets", "secret": {"secretName": f"alertmanager-{a.name}-tls-assets-0"}},
            {"name": "web-config", "secret": {"secretName": f"alertmanager-{a.name}-web-config"}},
        ]
        out.append((a, _pod(a, "alertmanager", main, generated, reloader)))
    return out


def operator_services(objects: list[KubeObject]) -> list[KubeObject]:
    """The headless `prometheus-operated` / `alertmanager-operated` Services the operator governs its
    StatefulSets with, one per namespace that holds such a resource."""
    out: list[KubeObject] = []
    seen: set[tuple[str, str]] = set()
    for resource in objects:
        if resource.kind not in ("Prometheus", "Alertmanager") or not resource.namespace:
            continue
        app = resource.kind.lower()
        web = resource.spec.get("portName", "web")
        ports = [{"name": web, "port": 9090 if app == "prometheus" else 9093, "targetPort": web, "protocol": "TCP"}]
        if app == "alertmanager":
            ports += [
                {"name": "tcp-mesh", "port": 9094, "targetPort": 9094, "protocol": "TCP"},
                {"name": "udp-mesh", "port": 9094, "targetPort": 9094, "protocol": "UDP"},
            ]
        body = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": f"{app}-operated",
                "namespace": resource.namespace,
                "labels": {f"operated-{app}": "true"},
            },
            "spec": {"clusterIP": "None", "selector": {"app.kubernetes.io/name": app}, "ports": ports},
        }
        if (app, resource.namespace) not in seen:
            seen.add((app, resource.namespace))
            out.append(KubeObject(body, "prometheus-operator", f"{app}-operated"))
    return out
