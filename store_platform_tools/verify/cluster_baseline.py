"""What every cluster has before the platform installs anything: the objects the cloud (or kind)
provides that the platform's objects point at. Stand-ins with the labels and ports that matter to
selectors, monitors and NetworkPolicies; nothing else of them is checked.

- `kube-system` and its cluster DNS: CoreDNS on EKS, AKS and kind, kube-dns on GKE; all label
  their pods `k8s-app: kube-dns` and serve DNS on 53 (metrics on 9153 for CoreDNS, 10054/10055
  for GKE's kube-dns sidecars).
- `default/kubernetes`, the API server's Service (selectorless: its endpoints are the control plane).
- The kubelet Service the Prometheus operator maintains when told to (`--kubelet-service`), whose
  endpoints are the nodes.
- On an existing (kubeadm-style, e.g. kind) cluster, the control plane's own pods: static pods
  labelled `component: <name>` on the host network, and the kube-proxy DaemonSet. Managed clouds
  hide them, so the platform scrapes them only there.
"""

from __future__ import annotations

from typing import Any

from .objects import KubeObject

SOURCE = "cluster"


def _object(body: dict[str, Any]) -> KubeObject:
    return KubeObject(body, SOURCE, "baseline")


def _dns(cloud: str) -> dict[str, Any]:
    ports = [
        {"name": "dns", "containerPort": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
    ]
    if cloud == "gcp":
        ports += [{"name": "metrics", "containerPort": 10054, "protocol": "TCP"}]
        ports += [{"name": "metrics-dnsmasq", "containerPort": 10055, "protocol": "TCP"}]
    else:
        ports += [{"name": "metrics", "containerPort": 9153, "protocol": "TCP"}]
    name = "kube-dns" if cloud == "gcp" else "coredns"
    labels = {"k8s-app": "kube-dns"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "kube-system", "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "ports": ports}]}},
        },
    }


# name -> metrics port, for the control plane of a kubeadm-style cluster
_KUBEADM_CONTROL_PLANE = {"kube-controller-manager": 10257, "kube-scheduler": 10259, "etcd": 2381}


def _host_pod(name: str, labels: dict[str, str], port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "kube-system", "labels": labels},
        "spec": {"hostNetwork": True, "containers": [{"name": name, "ports": [{"containerPort": port}]}]},
    }


def _service(namespace: str, name: str, labels: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"ports": ports},
    }


def baseline_objects(cloud: str, installed: list[KubeObject]) -> list[KubeObject]:
    """The cluster's own objects the installed ones refer to (those the stack does not declare itself)."""
    declared = {(o.kind, o.namespace, o.name) for o in installed}
    candidates = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
        _dns(cloud),
        _service(
            "default",
            "kubernetes",
            {"component": "apiserver", "provider": "kubernetes"},
            [{"name": "https", "port": 443, "protocol": "TCP"}],
        ),
    ]
    if cloud == "existing":
        candidates += [
            _host_pod(n, {"component": n, "tier": "control-plane"}, p) for n, p in _KUBEADM_CONTROL_PLANE.items()
        ]
        candidates.append(_host_pod("kube-proxy", {"k8s-app": "kube-proxy"}, 10249))
    for arg in _operator_args(installed):
        if arg.startswith("--kubelet-service="):
            namespace, name = arg.split("=", 1)[1].split("/", 1)
            labels = {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}
            ports = [
                {"name": n, "port": p, "protocol": "TCP"}
                for n, p in (("https-metrics", 10250), ("http-metrics", 10255))
            ]
            candidates.append(_service(namespace, name, labels, ports))
    return [
        _object(body)
        for body in candidates
        if (body["kind"], body["metadata"].get("namespace"), body["metadata"]["name"]) not in declared
    ]


def _operator_args(objects: list[KubeObject]) -> list[str]:
    return [
        str(arg)
        for o in objects
        if o.kind == "Deployment" and o.labels.get("app.kubernetes.io/component") == "prometheus-operator"
        for c in o.spec.get("template", {}).get("spec", {}).get("containers") or []
        for arg in c.get("args") or []
    ]
