"""The connections the running platform needs, derived from the objects wherever they say it.

Derived (`derived_flows`): scrape targets of every ServiceMonitor/PodMonitor a Prometheus
selects (kubelet and the API server included, through the Services the operator and the
cluster provide); Prometheus to its Alertmanagers; the API server to every webhook, CRD
conversion webhook and APIService backend; every in-cluster address a pod is configured with
(env, args, mounted ConfigMaps and Secrets, Grafana's sidecar-loaded datasources), which covers
collector exporters, Tempo's remote-write, Loki's components and the mesh proxies' control
plane; the Istio mesh config (control plane, tracing providers) for every Istio proxy; Argo
Rollouts' analysis queries; the ingress gateway to the services its VirtualServices route to;
the internet to LoadBalancer Services; each service's declared calls (ApplicationSet elements);
every pod whose ServiceAccount holds RBAC to the API server.

Hand-listed (`table.py`): only what no object says, one row each with its reason.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import yaml

from components.config import PlatformConfig

from .cluster_baseline import SOURCE as CLUSTER
from .endpoints import Endpoints
from .netpol import Endpoint, Port
from .objects import KubeObject, ObjectSet, map_selector_matches, selector_matches


@dataclass(frozen=True)
class Flow:
    source: Endpoint
    destination: Endpoint
    port: Port
    reason: str  # the object or table row that says it is needed
    required: bool = True  # False: tolerated (declared acceptable) but not needed to work

    def describe(self) -> str:
        protocol, number = self.port
        return f"{self.source.name} -> {self.destination.name}:{number}/{protocol}"


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target: int | str
    protocol: str


@dataclass
class Service:
    """A Service with its backends resolved: rendered ones select pods; the cluster's own
    (the API server's `kubernetes`, the operator-managed kubelet Service) stand for fixed endpoints."""

    namespace: str
    name: str
    labels: dict[str, str]
    ports: list[ServicePort]
    backends: list[Endpoint]
    headless: bool = False

    def port(self, ref: int | str | None) -> list[ServicePort]:
        if ref is None:
            return self.ports
        return [p for p in self.ports if p.name == ref or p.port == ref]

    def targets(self, port: ServicePort) -> Iterator[tuple[Endpoint, Port]]:
        for backend in self.backends:
            number = port.target if isinstance(port.target, int) else backend.named_port(port.target, port.protocol)
            if number is not None:
                yield backend, (port.protocol, number)


def _service_ports(spec: dict[str, Any]) -> list[ServicePort]:
    out = []
    for p in spec.get("ports") or []:
        target = p.get("targetPort", p["port"])
        target = int(target) if isinstance(target, int) or str(target).isdigit() else target
        out.append(ServicePort(p.get("name") or "", int(p["port"]), target, p.get("protocol") or "TCP"))
    return out


def service_index(objects: ObjectSet, ends: Endpoints) -> dict[tuple[str, str], Service]:
    index: dict[tuple[str, str], Service] = {}
    for s in objects.of_kind("Service"):
        ns = s.namespace or "default"
        selector = s.spec.get("selector")
        backends = [e for e in ends.in_namespace(ns) if map_selector_matches(selector, e.labels)]
        index[(ns, s.name)] = Service(
            ns, s.name, s.labels, _service_ports(s.spec), backends, s.spec.get("clusterIP") == "None"
        )
    # Selectorless Services of the cluster itself, whose endpoints are not pods: the API server's
    # and the kubelet Service the Prometheus operator keeps pointed at the nodes.
    api_port = ends.api_server.ports[0][2]
    index[("default", "kubernetes")] = replace(
        index[("default", "kubernetes")], ports=[ServicePort("https", 443, api_port, "TCP")], backends=[ends.api_server]
    )
    for kubelet in objects.of_kind("Service"):
        if kubelet.source == CLUSTER and kubelet.labels.get("k8s-app") == "kubelet":
            key = (kubelet.namespace or "", kubelet.name)
            index[key] = replace(index[key], backends=[ends.nodes])
    return index


class Deriver:
    def __init__(self, objects: ObjectSet, ends: Endpoints, config: PlatformConfig):
        self.objects, self.ends, self.config = objects, ends, config
        self.services = service_index(objects, ends)
        self.namespaces = {ns for ns, _ in self.services} | set(objects.namespaces)

    # --- helpers ---------------------------------------------------------------------------

    def to_service(
        self, source: Endpoint, ns: str, name: str, port: int | str | None, reason: str, *, direct: bool = False
    ) -> list[Flow]:
        """Flows from `source` to the pods behind Service ns/name on `port` (a service port;
        with `direct`, a headless Service's port is the pod port the client dials)."""
        service = self.services.get((ns, name))
        if service is None:
            return []  # a reference to a Service the stack does not create: the wiring check's concern
        if direct and service.headless and isinstance(port, int):
            return [Flow(source, b, ("TCP", port), reason) for b in service.backends if b is not source]
        return [
            Flow(source, backend, p, reason)
            for sp in service.port(port)
            for backend, p in service.targets(sp)
            if backend is not source
        ]

    def pods_matching(self, namespace: str | None, selector: dict[str, Any]) -> list[Endpoint]:
        return [
            e
            for e in self.ends.all_pods()
            if (namespace is None or e.namespace == namespace) and selector_matches(selector, e.labels)
        ]

    def namespaces_selected(self, own: str, selector: dict[str, Any] | None) -> set[str]:
        """Prometheus' monitor namespace selectors: nil means its own namespace only."""
        if selector is None:
            return {own}
        return {ns for ns in self.namespaces if selector_matches(selector, self.objects.namespace_labels(ns))}

    # --- monitoring ------------------------------------------------------------------------

    def scrapes(self) -> list[Flow]:
        flows: list[Flow] = []
        for prom in self.objects.of_kind("Prometheus"):
            scrapers = [e for e in self.ends.pods if e.labels.get("prometheus") == prom.name]
            own = prom.namespace or "default"
            for kind, selector_key, ns_key in (
                ("ServiceMonitor", "serviceMonitorSelector", "serviceMonitorNamespaceSelector"),
                ("PodMonitor", "podMonitorSelector", "podMonitorNamespaceSelector"),
            ):
                selector = prom.spec.get(selector_key)
                allowed_ns = self.namespaces_selected(own, prom.spec.get(ns_key))
                for monitor in self.objects.of_kind(kind):
                    if monitor.namespace not in allowed_ns or not selector_matches(selector, monitor.labels):
                        continue
                    for scraper in scrapers:
                        flows += self._monitor_targets(scraper, monitor)
            for am in (prom.spec.get("alerting") or {}).get("alertmanagers") or []:
                for scraper in scrapers:
                    flows += self.to_service(
                        scraper, am.get("namespace") or own, am["name"], am.get("port"), f"{prom.ref} alerting"
                    )
        return flows

    def _monitor_namespaces(self, monitor: KubeObject) -> set[str] | None:
        selector = monitor.spec.get("namespaceSelector") or {}
        if selector.get("any"):
            return None
        return set(selector.get("matchNames") or [monitor.namespace or "default"])

    def _monitor_targets(self, scraper: Endpoint, monitor: KubeObject) -> list[Flow]:
        namespaces = self._monitor_namespaces(monitor)
        selector = monitor.spec.get("selector") or {}
        reason = f"{monitor.ref} scrapes it"
        flows: list[Flow] = []
        if monitor.kind == "ServiceMonitor":
            for service in self.services.values():
                if namespaces is not None and service.namespace not in namespaces:
                    continue
                if not selector_matches(selector, service.labels):
                    continue
                for endpoint in monitor.spec.get("endpoints") or []:
                    if endpoint.get("port"):
                        for sp in service.port(endpoint["port"]):
                            flows += [Flow(scraper, b, p, reason) for b, p in service.targets(sp)]
                    elif endpoint.get("targetPort") is not None:
                        flows += self._pod_port(scraper, service.backends, endpoint["targetPort"], reason)
            return flows
        pods = [e for e in self.pods_matching(None, selector) if namespaces is None or e.namespace in namespaces]
        for endpoint in monitor.spec.get("podMetricsEndpoints") or []:
            ref = endpoint.get("port") or endpoint.get("portNumber") or endpoint.get("targetPort")
            if ref is not None:
                flows += self._pod_port(scraper, pods, ref, reason)
        return flows

    @staticmethod
    def _pod_port(source: Endpoint, pods: Iterable[Endpoint], ref: int | str, reason: str) -> list[Flow]:
        flows = []
        for pod in pods:
            number = int(ref) if isinstance(ref, int) or str(ref).isdigit() else pod.named_port(str(ref), "TCP")
            if number is not None:
                flows.append(Flow(source, pod, ("TCP", number), reason))
        return flows

    # --- the API server's calls ------------------------------------------------------------

    def webhooks(self) -> list[Flow]:
        api = self.ends.api_server
        flows: list[Flow] = []
        for config in self.objects.of_kind("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            for hook in config.body.get("webhooks") or []:
                service = (hook.get("clientConfig") or {}).get("service")
                if service:
                    flows += self.to_service(
                        api, service["namespace"], service["name"], service.get("port", 443), f"{config.ref} webhook"
                    )
        for crd in self.objects.of_kind("CustomResourceDefinition"):
            conversion = crd.spec.get("conversion") or {}
            service = ((conversion.get("webhook") or {}).get("clientConfig") or {}).get("service")
            if conversion.get("strategy") == "Webhook" and service:
                flows += self.to_service(
                    api, service["namespace"], service["name"], service.get("port", 443), f"{crd.ref} conversion"
                )
        for apiservice in self.objects.of_kind("APIService"):
            service = apiservice.spec.get("service")
            if service:
                flows += self.to_service(
                    api, service["namespace"], service["name"], service.get("port", 443), f"{apiservice.ref} backend"
                )
        return flows

    # --- addresses pods are configured with ------------------------------------------------

    _REF = re.compile(
        r"(?:(?P<scheme>[a-z][a-z0-9+]*)://)?(?P<name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.(?P<ns>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
        r"(?:\.svc(?:\.cluster\.local)?)?\.?(?::(?P<port>\d+))?(?![-a-z0-9.])"
    )
    _DEFAULT_PORTS: ClassVar[dict[str, int]] = {"http": 80, "https": 443}

    def references(self, text: str) -> Iterator[tuple[str, str, int | None]]:
        """(namespace, service, port) of every in-cluster Service address in `text`."""
        for m in self._REF.finditer(text):
            ns, name = m.group("ns"), m.group("name")
            if (ns, name) not in self.services:
                continue
            port = int(m.group("port")) if m.group("port") else self._DEFAULT_PORTS.get(m.group("scheme") or "")
            yield ns, name, port

    def _config_texts(self, pod: Endpoint) -> Iterator[tuple[str, str]]:
        """(where, text) of everything a pod is configured with."""
        spec = self.ends.pod_of[id(pod)].spec
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        for c in containers:
            for e in c.get("env") or []:
                if isinstance(e.get("value"), str):
                    yield f"env {e['name']}", e["value"]
            for a in [*(c.get("command") or []), *(c.get("args") or [])]:
                yield "args", str(a)
            for ref in c.get("envFrom") or []:
                yield from self._source_texts(pod.namespace, ref.get("configMapRef"), ref.get("secretRef"))
        for v in spec.get("volumes") or []:
            yield from self._source_texts(pod.namespace, v.get("configMap"), v.get("secret"))
            for s in (v.get("projected") or {}).get("sources") or []:
                yield from self._source_texts(pod.namespace, s.get("configMap"), s.get("secret"))
        yield from self._sidecar_texts(pod, containers)

    def _source_texts(self, ns: str | None, config_map: Any, secret: Any) -> Iterator[tuple[str, str]]:
        if config_map:
            obj = self.objects.get("ConfigMap", ns, config_map.get("name"))
            if obj is not None:
                yield from ((f"{obj.ref} {k}", str(v)) for k, v in (obj.body.get("data") or {}).items())
        if secret:
            obj = self.objects.get("Secret", ns, secret.get("name") or secret.get("secretName"))
            if obj is not None:
                yield from _secret_texts(obj)

    def _sidecar_texts(self, pod: Endpoint, containers: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        """Grafana's k8s-sidecar loads every ConfigMap/Secret carrying its LABEL (in its own
        namespace, or all with NAMESPACE=ALL)."""
        for c in containers:
            env = {e["name"]: e.get("value") for e in c.get("env") or []}
            if not env.get("LABEL") or "FOLDER" not in env:
                continue
            label, value = env["LABEL"], env.get("LABEL_VALUE")
            for obj in self.objects.of_kind("ConfigMap", "Secret"):
                if env.get("NAMESPACE") != "ALL" and obj.namespace != pod.namespace:
                    continue
                if label not in obj.labels or (value is not None and obj.labels[label] != value):
                    continue
                if obj.kind == "Secret":
                    yield from _secret_texts(obj)
                else:
                    yield from ((f"{obj.ref} {k}", str(v)) for k, v in (obj.body.get("data") or {}).items())

    def configured_addresses(self) -> list[Flow]:
        flows: list[Flow] = []
        for pod in self.ends.pods:
            for where, text in self._config_texts(pod):
                for ns, name, port in set(self.references(text)):
                    flows += self.to_service(pod, ns, name, port, f"{where} names {name}.{ns}", direct=True)
        return flows

    # --- CRs that controllers act on -------------------------------------------------------

    def controller_references(self) -> list[Flow]:
        """Addresses in custom resources, dialled by the controller that acts on the kind."""
        from .table import CONTROLLERS

        flows: list[Flow] = []
        for kind, (ns, labels) in CONTROLLERS.items():
            controllers = self.pods_matching(ns, {"matchLabels": labels})
            for cr in self.objects.of_kind(kind):
                text = yaml.safe_dump(cr.spec)
                for target_ns, name, port in set(self.references(text)):
                    for controller in controllers:
                        flows += self.to_service(
                            controller, target_ns, name, port, f"{cr.ref} names {name}.{target_ns}"
                        )
        return flows

    # --- mesh ------------------------------------------------------------------------------

    def istio_mesh(self) -> list[Flow]:
        """Every Istio proxy dials the mesh config's discovery address and tracing providers."""
        mesh_cm = next(
            (o for o in self.objects.of_kind("ConfigMap") if o.name == "istio" and "mesh" in o.body.get("data", {})),
            None,
        )
        if mesh_cm is None:
            return []
        mesh = yaml.safe_load(mesh_cm.body["data"]["mesh"]) or {}
        targets: list[tuple[str, str, int | None, str]] = []
        discovery = (mesh.get("defaultConfig") or {}).get("discoveryAddress")
        if discovery:
            targets += [(ns, name, port, "discoveryAddress") for ns, name, port in self.references(discovery)]
        for provider in mesh.get("extensionProviders") or []:
            for kind, body in provider.items():
                if isinstance(body, dict) and body.get("service"):
                    for ns, name, _ in self.references(str(body["service"])):
                        targets.append(
                            (ns, name, body.get("port"), f"extensionProviders {provider.get('name')} ({kind})")
                        )
        proxies = [e for e in self.ends.pods if self._istio_proxy(e)]
        return [
            flow
            for proxy in proxies
            for ns, name, port, what in targets
            for flow in self.to_service(proxy, ns, name, port, f"{mesh_cm.ref} {what}")
        ]

    def _istio_proxy(self, e: Endpoint) -> bool:
        pod = self.ends.pod_of[id(e)]
        return "istio-proxy" in pod.injected or any(c.get("name") == "istio-proxy" for c in pod.containers)

    # --- traffic into and between the services ---------------------------------------------

    def ingress_routes(self) -> list[Flow]:
        flows: list[Flow] = []
        gateways = {
            (g.namespace, g.name): g for g in self.objects.of_kind("Gateway") if g.group == "networking.istio.io"
        }
        for vs in self.objects.of_kind("VirtualService"):
            for ref in vs.spec.get("gateways") or []:
                if ref == "mesh":
                    continue
                ns, _, name = ref.rpartition("/")
                gateway = gateways.get((ns or vs.namespace, name))
                if gateway is None:
                    continue
                sources = self.pods_matching(None, {"matchLabels": gateway.spec.get("selector") or {}})
                for route in vs.spec.get("http") or []:
                    for dest in route.get("route") or []:
                        d = dest["destination"]
                        for target_ns, target, _ in self.references(d["host"]):
                            port = (d.get("port") or {}).get("number")
                            for source in sources:
                                flows += self.to_service(source, target_ns, target, port, f"{vs.ref} via {gateway.ref}")
        flows += self.gateway_api_routes()
        for key, service in self.services.items():
            obj = self.objects.get("Service", key[0], key[1])
            if obj is not None and obj.spec.get("type") == "LoadBalancer":
                for sp in service.ports:
                    flows += [
                        Flow(self.ends.internet, b, p, f"{obj.ref} is a load balancer") for b, p in service.targets(sp)
                    ]
        return flows

    def gateway_pods(self, gateway: KubeObject) -> list[Endpoint]:
        """The pods serving a Gateway API Gateway bound to an existing deployment (Istio's manual
        deployment: the Gateway's Hostname address is that deployment's Service)."""
        pods: list[Endpoint] = []
        for address in gateway.spec.get("addresses") or []:
            if address.get("type") != "Hostname":
                continue
            for ns, name, _ in self.references(address["value"]):
                service = self.objects.get("Service", ns, name)
                selector = (service.spec.get("selector") if service else None) or {}
                if selector:
                    pods += self.pods_matching(ns, {"matchLabels": selector})
        return pods

    def gateway_api_routes(self) -> list[Flow]:
        """Each HTTPRoute's backends, from the pods of the Gateways it attaches to."""
        flows: list[Flow] = []
        gateways = {
            (g.namespace, g.name): g for g in self.objects.of_kind("Gateway") if g.group == "gateway.networking.k8s.io"
        }
        for route in self.objects.of_kind("HTTPRoute"):
            for parent in route.spec.get("parentRefs") or []:
                gateway = gateways.get((parent.get("namespace", route.namespace), parent["name"]))
                if gateway is None:
                    continue
                for source in self.gateway_pods(gateway):
                    for rule in route.spec.get("rules") or []:
                        for backend in rule.get("backendRefs") or []:
                            if backend.get("kind", "Service") != "Service":
                                continue
                            ns = backend.get("namespace", route.namespace)
                            reason = f"{route.ref} via {gateway.ref}"
                            flows += self.to_service(source, ns, backend["name"], backend.get("port"), reason)
        return flows

    def service_calls(self) -> list[Flow]:
        """Each service's declared calls (ApplicationSet elements: service, calls) to the callee's http port."""
        flows: list[Flow] = []
        for appset in self.objects.of_kind("ApplicationSet"):
            namespace = ((appset.spec.get("template") or {}).get("spec") or {}).get("destination", {}).get("namespace")
            for element in _list_elements(appset.spec.get("generators") or []):
                caller = element.get("service")
                ns = namespace if namespace and "{{" not in namespace else element.get("namespace")
                if not caller or not ns:
                    continue
                sources = self.pods_matching(ns, {"matchLabels": {"app.kubernetes.io/name": caller}})
                for callee in element.get("calls") or []:
                    for source in sources:
                        flows += self.to_service(source, ns, callee, "http", f"{appset.ref}: {caller} calls {callee}")
        return flows

    # --- the API server --------------------------------------------------------------------

    def api_clients(self) -> list[Flow]:
        bound: set[tuple[str, str]] = set()
        for binding in self.objects.of_kind("RoleBinding", "ClusterRoleBinding"):
            for s in binding.body.get("subjects") or []:
                if s.get("kind") == "ServiceAccount":
                    bound.add((s.get("namespace") or binding.namespace or "", s["name"]))
        api = self.ends.api_server
        port = ("TCP", api.ports[0][2])
        flows = []
        for e in self.ends.pods:
            account, automount = self._service_account(e)
            if automount and (e.namespace or "", account) in bound:
                flows.append(Flow(e, api, port, f"ServiceAccount {e.namespace}/{account} holds RBAC"))
        return flows

    def _service_account(self, e: Endpoint) -> tuple[str, bool]:
        pod = self.ends.pod_of.get(id(e))
        spec: dict[str, Any]
        if pod is not None:
            spec = pod.spec
        else:  # operator-made pods: the CR names the account
            cr = next(
                o for o in self.objects.of_kind("Prometheus", "Alertmanager") if e.labels.get(o.kind.lower()) == o.name
            )
            spec = cr.spec
        account = spec.get("serviceAccountName") or "default"
        automount = spec.get("automountServiceAccountToken")
        if automount is None:
            sa = self.objects.get("ServiceAccount", e.namespace, account)
            automount = (sa.body.get("automountServiceAccountToken") if sa else None) is not False
        return account, bool(automount)


def _list_elements(generators: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for g in generators:
        if "list" in g:
            yield from g["list"].get("elements") or []
        if "matrix" in g:
            yield from _list_elements(g["matrix"].get("generators") or [])


def _secret_texts(obj: KubeObject) -> Iterator[tuple[str, str]]:
    for k, v in (obj.body.get("stringData") or {}).items():
        yield f"{obj.ref} {k}", str(v)
    for k, v in (obj.body.get("data") or {}).items():
        try:
            yield f"{obj.ref} {k}", base64.b64decode(str(v)).decode("utf-8", "replace")
        except ValueError:
            continue


def derived_flows(objects: ObjectSet, ends: Endpoints, config: PlatformConfig) -> list[Flow]:
    d = Deriver(objects, ends, config)
    return [
        *d.scrapes(),
        *d.webhooks(),
        *d.configured_addresses(),
        *d.controller_references(),
        *d.istio_mesh(),
        *d.ingress_routes(),
        *d.service_calls(),
        *d.api_clients(),
    ]


def required_flows(
    objects: ObjectSet, ends: Endpoints, config: PlatformConfig, *, ipblock_matches_pods: bool = True
) -> list[Flow]:
    from .table import hand_flows

    derived = derived_flows(objects, ends, config)
    return [*derived, *hand_flows(objects, ends, config, derived, ipblock_matches_pods=ipblock_matches_pods)]
