"""Everything that takes part in a connection, as the network check models it.

- The pods as they will run (verify's pods: workloads expanded, mesh proxies injected, the
  Prometheus operator's pods and the cluster's own, such as its DNS, included).
- What runs outside the pod network: the nodes (kubelet, hostNetwork pods) and the API server
  (outside the pod network on managed clusters); and one pod in a namespace the platform does
  not manage, standing for any other workload.
- Addresses outside the cluster: the internet and the node-local identity endpoints.

Each gets a representative address in the range the cloud gives it, so ipBlocks are evaluated
the way the dataplane would.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from components.config import PlatformConfig
from components.config.clouds import AKS_POD_CIDR

from .netpol import Endpoint
from .objects import KubeObject, ObjectSet
from .pods import Pod

INTERNET_IP = "203.0.113.10"  # any public address (TEST-NET-3)
METADATA_IP = "169.254.169.254"
MANAGED_CONTROL_PLANE_IP = "192.0.2.10"  # GKE/AKS control plane: outside the VPC's node and pod ranges
KIND_NODE_IP = "172.18.0.2"  # kind/k3d nodes live on a container network
KIND_POD_IP = "10.244.0.10"
DNS_LABELS = {"k8s-app": "kube-dns"}


def _is_dns(labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in DNS_LABELS.items())


STRANGER_NAMESPACE = "default"


@dataclass(frozen=True)
class Addresses:
    pod: str
    node: str
    api_server: str
    api_server_port: int


def addresses(config: PlatformConfig) -> Addresses:
    if config.cloud == "existing":
        return Addresses(KIND_POD_IP, KIND_NODE_IP, KIND_NODE_IP, 6443)  # kubeadm API server on the node
    hosts = ipaddress.ip_network(config.cluster.network_cidr).hosts()
    node, control_plane, vpc_pod = (str(next(hosts)) for _ in range(3))
    if config.cloud == "aws":  # VPC CNI: pods take VPC addresses; EKS control-plane ENIs sit in the VPC too
        return Addresses(vpc_pod, node, control_plane, 443)
    if config.cloud == "azure":  # Azure CNI overlay
        return Addresses(str(next(ipaddress.ip_network(AKS_POD_CIDR).hosts())), node, MANAGED_CONTROL_PLANE_IP, 443)
    return Addresses(vpc_pod, node, MANAGED_CONTROL_PLANE_IP, 443)  # GKE alias ranges inside the VPC


def _ports(containers: list[dict]) -> tuple[tuple[str, str, int], ...]:
    return tuple(
        (p.get("name") or "", p.get("protocol") or "TCP", int(p["containerPort"]))
        for c in containers
        for p in c.get("ports") or []
    )


@dataclass
class Endpoints:
    """The universe of a stack's connections, with look-ups the flow derivation needs."""

    pods: list[Endpoint]
    pod_of: dict[int, Pod]  # id(endpoint) -> the platform's pod (for its spec)
    dns: Endpoint
    nodes: Endpoint  # every node: kubelet and hostNetwork pods
    api_server: Endpoint
    internet: Endpoint
    metadata: Endpoint
    stranger: Endpoint

    def all_pods(self) -> list[Endpoint]:
        return [*self.pods, self.stranger]

    def everything(self) -> list[Endpoint]:
        return [*self.all_pods(), self.nodes, self.api_server, self.internet, self.metadata]

    def in_namespace(self, namespace: str) -> list[Endpoint]:
        return [e for e in self.all_pods() if e.namespace == namespace]


def endpoints_of(objects: ObjectSet, pods: list[Pod], config: PlatformConfig) -> Endpoints:
    at = addresses(config)
    endpoints, pod_of = [], {}
    for pod in pods:
        host = bool(pod.spec.get("hostNetwork"))
        e = Endpoint(
            f"{pod.namespace}/{pod.owner.kind} {pod.owner.name}",
            "pod",
            at.node if host else at.pod,
            pod.namespace,
            pod.labels,
            _ports(pod.all_containers()),
            host,
        )
        endpoints.append(e)
        pod_of[id(e)] = pod
    # The cluster's DNS pods are among the pods (verify's cluster baseline); an object set
    # without them (a test's) gets a stand-in, since every cluster has them.
    dns = next((e for e in endpoints if e.namespace == "kube-system" and _is_dns(e.labels)), None) or Endpoint(
        "kube-system/cluster DNS",
        "pod",
        at.pod,
        "kube-system",
        DNS_LABELS,
        (("dns", "UDP", 53), ("dns-tcp", "TCP", 53)),
    )
    return Endpoints(
        pods=endpoints,
        pod_of=pod_of,
        dns=dns,
        nodes=Endpoint("nodes (kubelet)", "node", at.node, ports=(("https-metrics", "TCP", 10250),)),
        api_server=Endpoint(
            "Kubernetes API server", "address", at.api_server, ports=(("https", "TCP", at.api_server_port),)
        ),
        internet=Endpoint("internet", "address", INTERNET_IP),
        metadata=Endpoint("node identity endpoint", "address", METADATA_IP),
        stranger=Endpoint(f"{STRANGER_NAMESPACE}/any other pod", "pod", at.pod, STRANGER_NAMESPACE, {"app": "any"}, ()),
    )


def namespace_labels(objects: ObjectSet) -> dict[str, dict[str, str]]:
    return {name: dict(ns.labels) for name, ns in objects.namespaces.items()}


def services(objects: ObjectSet) -> dict[tuple[str, str], KubeObject]:
    return {(s.namespace or "", s.name): s for s in objects.of_kind("Service")}
