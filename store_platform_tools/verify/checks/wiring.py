"""Wiring: every reference between objects resolves to something that will exist.

- a Service selects at least one pod that serves its target port;
- an Istio Gateway's selector finds gateway pods; a VirtualService's gateways, hosts and route
  destinations resolve; an HTTPRoute's parents and backends exist;
- every Secret and ConfigMap a pod mounts or reads (and a Gateway's TLS `credentialName`) exists
  in the stack, or is created by a named controller;
- every NetworkPolicy (and monitor) selects something.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..context import Platform
from ..findings import Finding
from ..objects import KubeObject, ObjectSet, map_selector_matches, selector_matches
from ..pods import Pod
from .controller_made import ControllerMade


def check(platform: Platform) -> list[Finding]:
    made = ControllerMade(platform.objects)
    return [
        *_services(platform),
        *_istio(platform, made),
        *_http_routes(platform.objects),
        *_gateway_api_certificates(platform.objects, made),
        *_mounts(platform, made),
        *_network_policies(platform),
        *_monitors(platform),
    ]


def _pods_in(platform: Platform, namespace: str | None) -> list[Pod]:
    return [p for p in platform.pods if p.namespace == namespace]


def serves_port(pod: Pod, target: Any) -> bool:
    """A numeric target port is served by any pod (the kernel routes it); a named one needs that name."""
    if isinstance(target, int):
        return True
    return any(p.get("name") == target for p in pod.ports())


def _services(platform: Platform) -> Iterable[Finding]:
    for svc in platform.objects.of_kind("Service"):
        selector = svc.spec.get("selector")
        if not selector or svc.spec.get("type") == "ExternalName":
            continue  # endpoints managed by hand or by a controller
        pods = [p for p in _pods_in(platform, svc.namespace) if map_selector_matches(selector, p.labels)]
        if not pods:
            yield Finding("wiring", svc.describe(), f"selector {selector} matches no pod", "fix the selector or labels")
            continue
        for port in svc.spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if not any(serves_port(p, target) for p in pods):
                yield Finding(
                    "wiring",
                    svc.describe(),
                    f"port {port.get('name') or port.get('port')}: no selected pod has a port named {target!r}",
                    "name the container port or point targetPort at one the pods have",
                )


def _host_service(host: str, namespace: str | None, objects: ObjectSet) -> KubeObject | None:
    """A mesh host (`name`, `name.ns`, `name.ns.svc.cluster.local`) as a Service, or None."""
    parts = host.split(".")
    name, ns = parts[0], parts[1] if len(parts) > 1 else namespace
    if len(parts) > 2 and parts[2:] != ["svc", "cluster", "local"] and parts[2:] != ["svc"]:
        return None  # an external host
    return objects.get("Service", ns, name)


def _istio(platform: Platform, made: ControllerMade) -> Iterable[Finding]:
    objects = platform.objects
    gateways = {(g.namespace, g.name): g for g in objects.of_kind("Gateway") if g.group == "networking.istio.io"}
    for gw in gateways.values():
        selector = gw.spec.get("selector") or {}
        pods = [p for p in platform.pods if map_selector_matches(selector, p.labels)]
        if not pods:
            yield Finding("wiring", gw.describe(), f"selector {selector} matches no gateway pod", "select the gateway")
            continue
        for server in gw.spec.get("servers") or []:
            credential = (server.get("tls") or {}).get("credentialName")
            if credential and not any(_exists(objects, made, "Secret", p.namespace, credential) for p in pods):
                yield Finding(
                    "wiring",
                    gw.describe(),
                    f"TLS credentialName {credential} exists in no namespace of the gateway pods",
                    "create the certificate Secret beside the gateway (cert-manager Certificate)",
                )
    for vs in objects.of_kind("VirtualService"):
        for ref in vs.spec.get("gateways") or []:
            if ref == "mesh":
                continue
            ns, _, name = ref.rpartition("/")
            if (ns or vs.namespace, name) not in gateways:
                yield Finding("wiring", vs.describe(), f"gateway {ref} does not exist", "name an existing Gateway")
        for route in vs.spec.get("http") or []:
            for dest in route.get("route") or []:
                host = dest["destination"]["host"]
                svc = _host_service(host, vs.namespace, objects)
                if svc is None and _is_cluster_host(host):
                    yield Finding("wiring", vs.describe(), f"destination {host} is no Service", "route to a Service")
                port = (dest["destination"].get("port") or {}).get("number")
                if svc is not None and port and port not in [p.get("port") for p in svc.spec.get("ports") or []]:
                    yield Finding("wiring", vs.describe(), f"{host} has no port {port}", "route to a port it serves")


def _is_cluster_host(host: str) -> bool:
    return "." not in host or host.endswith((".svc", ".svc.cluster.local")) or host.count(".") == 1


def _gateway_api_certificates(objects: ObjectSet, made: ControllerMade) -> Iterable[Finding]:
    """Every Secret a Gateway API Gateway's HTTPS listener serves exists (or a controller makes it)."""
    for gw in objects.of_kind("Gateway"):
        if gw.group != "gateway.networking.k8s.io":
            continue
        for listener in gw.spec.get("listeners") or []:
            for ref in (listener.get("tls") or {}).get("certificateRefs") or []:
                if ref.get("kind", "Secret") != "Secret":
                    continue
                ns = ref.get("namespace", gw.namespace)
                if not _exists(objects, made, "Secret", ns, ref["name"]):
                    yield Finding(
                        "wiring",
                        gw.describe(),
                        f"listener {listener.get('name')}: certificate Secret {ns}/{ref['name']} does not exist",
                        "issue it with a cert-manager Certificate in the Gateway's namespace",
                    )


def _http_routes(objects: ObjectSet) -> Iterable[Finding]:
    for route in objects.of_kind("HTTPRoute"):
        for parent in route.spec.get("parentRefs") or []:
            if parent.get("kind", "Gateway") != "Gateway":
                continue
            ns = parent.get("namespace", route.namespace)
            if not any(g.name == parent["name"] and g.namespace == ns for g in objects.of_kind("Gateway")):
                yield Finding("wiring", route.describe(), f"parent Gateway {ns}/{parent['name']} does not exist", "")
        for rule in route.spec.get("rules") or []:
            for backend in rule.get("backendRefs") or []:
                if backend.get("kind", "Service") != "Service":
                    continue
                ns = backend.get("namespace", route.namespace)
                svc = objects.get("Service", ns, backend["name"])
                ports = [p.get("port") for p in (svc.spec.get("ports") or [])] if svc else []
                if svc is None or (backend.get("port") and backend["port"] not in ports):
                    yield Finding(
                        "wiring",
                        route.describe(),
                        f"backend {ns}/{backend['name']}:{backend.get('port')} is no Service port",
                        "point the backendRef at an existing Service and port",
                    )


def _exists(objects: ObjectSet, made: ControllerMade, kind: str, namespace: str | None, name: str) -> bool:
    return objects.get(kind, namespace, name) is not None or (kind, namespace, name) in made


def pod_references(pod: Pod) -> Iterable[tuple[str, str, bool]]:
    """(kind, name, optional) of every Secret and ConfigMap the pod mounts or reads."""
    spec = pod.spec
    for volume in spec.get("volumes") or []:
        if "secret" in volume:
            yield "Secret", volume["secret"]["secretName"], bool(volume["secret"].get("optional"))
        if "configMap" in volume:
            yield "ConfigMap", volume["configMap"]["name"], bool(volume["configMap"].get("optional"))
        for source in (volume.get("projected") or {}).get("sources") or []:
            for kind, key in (("Secret", "secret"), ("ConfigMap", "configMap")):
                if key in source:
                    yield kind, source[key]["name"], bool(source[key].get("optional"))
    for ref in spec.get("imagePullSecrets") or []:
        yield "Secret", ref["name"], False
    for container in pod.all_containers():
        for env_from in container.get("envFrom") or []:
            for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                if key in env_from:
                    yield kind, env_from[key]["name"], bool(env_from[key].get("optional"))
        for env in container.get("env") or []:
            source = env.get("valueFrom") or {}
            for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if key in source:
                    yield kind, source[key]["name"], bool(source[key].get("optional"))


def _mounts(platform: Platform, made: ControllerMade) -> Iterable[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    for pod in platform.pods:
        for kind, name, optional in pod_references(pod):
            if optional or (pod.owner.ref, kind, name, pod.namespace) in seen:
                continue
            seen.add((pod.owner.ref, kind, name, pod.namespace))
            if not _exists(platform.objects, made, kind, pod.namespace, name):
                yield Finding(
                    "wiring",
                    pod.describe(),
                    f"{kind} {pod.namespace}/{name} is mounted or read but nothing creates it",
                    f"declare the {kind}, or name the controller that creates it in verify's controller table",
                )


def _network_policies(platform: Platform) -> Iterable[Finding]:
    objects = platform.objects
    for policy in objects.of_kind("NetworkPolicy"):
        selected = [
            p
            for p in _pods_in(platform, policy.namespace)
            if selector_matches(policy.spec.get("podSelector"), p.labels)
        ]
        if not selected and policy.spec.get("podSelector"):
            yield Finding(
                "wiring", policy.describe(), "podSelector selects no pod", "fix the selector or drop the policy"
            )
        for direction, key in (("ingress", "from"), ("egress", "to")):
            for rule in policy.spec.get(direction) or []:
                for peer in rule.get(key) or []:
                    if "ipBlock" in peer:
                        continue
                    if not _peer_pods(platform, policy.namespace, peer):
                        yield Finding(
                            "wiring",
                            policy.describe(),
                            f"{direction} peer {peer} selects no pod",
                            "fix the peer's selectors (namespace labels, pod labels)",
                        )


def _peer_pods(platform: Platform, namespace: str | None, peer: dict[str, Any]) -> list[Pod]:
    if "namespaceSelector" in peer:
        namespaces = {
            ns
            for ns in {p.namespace for p in platform.pods}
            if selector_matches(peer["namespaceSelector"], platform.objects.namespace_labels(ns))
        }
    else:
        namespaces = {namespace or ""}
    pod_selector = peer.get("podSelector", {})
    return [p for p in platform.pods if p.namespace in namespaces and selector_matches(pod_selector, p.labels)]


def _monitors(platform: Platform) -> Iterable[Finding]:
    objects = platform.objects
    for monitor in objects.of_kind("ServiceMonitor", "PodMonitor"):
        ns_selector = monitor.spec.get("namespaceSelector") or {}
        namespaces = None if ns_selector.get("any") else set(ns_selector.get("matchNames") or [monitor.namespace])
        selector = monitor.spec.get("selector") or {}
        if monitor.kind == "ServiceMonitor":
            targets: list[Any] = [
                s
                for s in objects.of_kind("Service")
                if (namespaces is None or s.namespace in namespaces) and selector_matches(selector, s.labels)
            ]
        else:
            targets = [
                p
                for p in platform.pods
                if (namespaces is None or p.namespace in namespaces) and selector_matches(selector, p.labels)
            ]
        if not targets:
            yield Finding(
                "wiring",
                monitor.describe(),
                f"selector {selector} in {sorted(namespaces) if namespaces else 'every namespace'} matches nothing",
                "fix the monitor's selector (or the labels of what it should scrape)",
            )
