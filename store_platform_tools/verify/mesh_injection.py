"""What the mesh's injector adds to a pod, read from the mesh's own rendered objects.

Which pods are injected follows the injector's MutatingWebhookConfiguration selectors (and, for
Linkerd, the `linkerd.io/inject` annotation the injector itself reads). What is injected:

- Istio: the sidecar template's containers, with the security context the template derives from
  the values istiod renders into its `istio-sidecar-injector` ConfigMap (CNI on or off,
  privileged, seccomp profile, image). Native sidecars (init containers that keep running) are
  Istio's default on the Kubernetes versions the platform supports. Gateway pods (template
  `gateway`) only get their `image: auto` resolved.
- Linkerd: the proxy and its init container as the chart renders them into its own proxy
  injector's pod, which shares the injector's partial templates.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Protocol

from .objects import ObjectSet, selector_matches

ISTIO_PROXY_PORTS = [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}]
ISTIO_STATUS_PORT = 15021
_RESOURCE_ANNOTATIONS = {
    ("requests", "cpu"): "proxyCPU",
    ("requests", "memory"): "proxyMemory",
    ("limits", "cpu"): "proxyCPULimit",
    ("limits", "memory"): "proxyMemoryLimit",
}


class Injector(Protocol):
    def selects(self, namespace: str, metadata: dict[str, Any], objects: ObjectSet) -> bool: ...

    def inject(self, metadata: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]: ...


def _webhook_selects(webhook_config: Any, namespace: str, labels: dict[str, str], objects: ObjectSet) -> bool:
    ns_labels = objects.namespace_labels(namespace)
    return any(
        selector_matches(w.get("namespaceSelector") or {}, ns_labels)
        and selector_matches(w.get("objectSelector") or {}, labels)
        for w in webhook_config.body.get("webhooks") or []
    )


@dataclass(frozen=True)
class IstioInjector:
    webhooks: Any  # the MutatingWebhookConfiguration
    values: dict[str, Any]  # istiod's merged values, as rendered into its injector ConfigMap

    @property
    def image(self) -> str:
        proxy = self.values["global"]["proxy"]
        image = proxy.get("image") or "proxyv2"
        if "/" in image:
            return image
        return f"{self.values['global']['hub']}/{image}:{self.values['global']['tag']}"

    def selects(self, namespace: str, metadata: dict[str, Any], objects: ObjectSet) -> bool:
        return _webhook_selects(self.webhooks, namespace, metadata.get("labels") or {}, objects)

    def _init_security_context(self) -> dict[str, Any]:
        """injection-template.yaml, container istio-init/istio-validation."""
        proxy = self.values["global"]["proxy"]
        privileged = bool(proxy.get("privileged"))
        context: dict[str, Any] = {"allowPrivilegeEscalation": privileged, "privileged": privileged}
        if (self.values.get("pilot") or {}).get("cni", {}).get("enabled"):
            context |= {
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsGroup": 1337,
                "runAsUser": 1337,
                "runAsNonRoot": True,
            }
        else:  # istio-init rewrites iptables itself
            context |= {
                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
                "readOnlyRootFilesystem": False,
                "runAsGroup": 0,
                "runAsUser": 0,
                "runAsNonRoot": False,
            }
        return self._with_seccomp(context)

    def _proxy_security_context(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """injection-template.yaml, container istio-proxy: unlike the init container, the proxy runs
        as 1337 without capabilities whether or not the CNI is on; only TPROXY interception
        (NET_ADMIN) or capNetBindService (NET_BIND_SERVICE) make it root."""
        proxy = self.values["global"]["proxy"]
        annotations = metadata.get("annotations") or {}
        mesh_default = ((self.values.get("meshConfig") or {}).get("defaultConfig") or {}).get("interceptionMode")
        tproxy = annotations.get("sidecar.istio.io/interceptionMode", mesh_default or "REDIRECT") == "TPROXY"
        bind = str(annotations.get("sidecar.istio.io/capNetBindService", proxy.get("capNetBindService"))).lower()
        add = ["NET_ADMIN"] * tproxy + ["NET_BIND_SERVICE"] * (bind == "true")
        privileged = bool(proxy.get("privileged"))
        context: dict[str, Any] = {
            "allowPrivilegeEscalation": privileged,
            "capabilities": {**({"add": add} if add else {}), "drop": ["ALL"]},
            "privileged": privileged,
            "readOnlyRootFilesystem": True,
        }
        if add:
            context |= {"runAsNonRoot": False, "runAsUser": 0, "runAsGroup": 1337}
        else:
            context |= {"runAsNonRoot": True, "runAsUser": 1337, "runAsGroup": 1337}
        return self._with_seccomp(context)

    def _with_seccomp(self, context: dict[str, Any]) -> dict[str, Any]:
        seccomp = self.values["global"]["proxy"].get("seccompProfile")
        return context | ({"seccompProfile": seccomp} if seccomp else {})

    def _resources(self, annotations: dict[str, str]) -> dict[str, Any]:
        """The template's `resources`: the pod's sidecar.istio.io/proxy* annotations if it sets
        any, else `global.proxy.resources` (both the proxy and its init container get them)."""
        given = {key: annotations.get(f"sidecar.istio.io/{name}") for key, name in _RESOURCE_ANNOTATIONS.items()}
        if not any(given.values()):
            resources = self.values["global"]["proxy"].get("resources") or {}
            return {k: {r: q for r, q in v.items() if q is not None} for k, v in resources.items() if v}
        out: dict[str, dict[str, str]] = {}
        for (kind, resource), quantity in given.items():
            if quantity:
                out.setdefault(kind, {})[resource] = quantity
        return out

    def inject(self, metadata: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
        spec = copy.deepcopy(spec)
        if (metadata.get("annotations") or {}).get("inject.istio.io/templates") == "gateway":
            for c in spec.get("containers") or []:
                if c.get("image") == "auto":
                    c["image"] = self.image
            return spec, ()
        cni = bool((self.values.get("pilot") or {}).get("cni", {}).get("enabled"))
        init_name = "istio-validation" if cni else "istio-init"
        resources = self._resources(metadata.get("annotations") or {})
        init = {"name": init_name, "image": self.image, "securityContext": self._init_security_context()}
        proxy = {
            "name": "istio-proxy",
            "image": self.image,
            "restartPolicy": "Always",
            "ports": ISTIO_PROXY_PORTS,
            "securityContext": self._proxy_security_context(metadata),
        }
        if resources:
            init["resources"] = proxy["resources"] = resources
        spec["initContainers"] = [init, proxy, *(spec.get("initContainers") or [])]
        # The injector also labels the pod: the proxies' PodMonitor and peer authentication select these.
        labels = metadata.setdefault("labels", {})
        labels.setdefault("security.istio.io/tlsMode", "istio")
        labels.setdefault("service.istio.io/canonical-name", labels.get("app.kubernetes.io/name", ""))
        labels.setdefault("service.istio.io/canonical-revision", labels.get("app.kubernetes.io/version", "latest"))
        return spec, (init_name, "istio-proxy")


@dataclass(frozen=True)
class LinkerdInjector:
    namespace: str  # the control plane's
    webhooks: Any
    containers: list[dict[str, Any]]  # the proxy, as the chart renders it into its own pods
    init_containers: list[dict[str, Any]]

    def selects(self, namespace: str, metadata: dict[str, Any], objects: ObjectSet) -> bool:
        if not _webhook_selects(self.webhooks, namespace, metadata.get("labels") or {}, objects):
            return False
        own = (metadata.get("annotations") or {}).get("linkerd.io/inject")
        ns = objects.namespaces.get(namespace)
        return own == "enabled" or (
            own is None and ns is not None and ns.annotations.get("linkerd.io/inject") == "enabled"
        )

    def inject(self, metadata: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
        spec = copy.deepcopy(spec)
        spec["initContainers"] = [*copy.deepcopy(self.init_containers), *(spec.get("initContainers") or [])]
        spec["containers"] = [*(_as_injected(c) for c in self.containers), *(spec.get("containers") or [])]
        # The injector labels the pod with its control plane's namespace (Linkerd's monitors select it).
        metadata.setdefault("labels", {}).setdefault("linkerd.io/control-plane-ns", self.namespace)
        names = tuple(c["name"] for c in self.init_containers + self.containers)
        return spec, names


def _as_injected(proxy: dict[str, Any]) -> dict[str, Any]:
    """The injector's own proxy as it writes the proxy into other pods: the partial reads
    the trust anchors from the `linkerd` namespace's ConfigMap only for the control plane, and
    inlines the PEM everywhere else (partials/_proxy.tpl, loadTrustBundleFromConfigMap)."""
    proxy = copy.deepcopy(proxy)
    for env in proxy.get("env") or []:
        if env["name"] == "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS" and "valueFrom" in env:
            del env["valueFrom"]
            env["value"] = "<identityTrustAnchorsPEM>"
    return proxy


def injector_of(objects: ObjectSet) -> Injector | None:
    """The mesh injector the stack installs, if any."""
    hooks = {o.name: o for o in objects.of_kind("MutatingWebhookConfiguration")}
    if "istio-sidecar-injector" in hooks:
        config = next(
            (o for o in objects.of_kind("ConfigMap") if o.name == "istio-sidecar-injector"),
            None,
        )
        if config is not None:
            return IstioInjector(hooks["istio-sidecar-injector"], json.loads(config.body["data"]["values"]))
    if "linkerd-proxy-injector-webhook-config" in hooks:
        # The injector's own proxy: unlike the destination's and identity's, which reach themselves
        # on localhost, it addresses the control plane as every injected proxy does.
        injector = next((o for o in objects.of_kind("Deployment") if o.name == "linkerd-proxy-injector"), None)
        if injector is not None:
            pod = injector.spec["template"]["spec"]
            return LinkerdInjector(
                injector.namespace or "linkerd",
                hooks["linkerd-proxy-injector-webhook-config"],
                [c for c in pod.get("containers") or [] if c["name"] == "linkerd-proxy"],
                [c for c in pod.get("initContainers") or [] if c["name"].startswith("linkerd-")],
            )
    return None
