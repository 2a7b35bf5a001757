"""Secrets and ConfigMaps that no manifest declares because a controller creates them at run time.

Derived from the objects where they say it (an ExternalSecret's target, a Certificate's
secretName, a Prometheus resource's generated config); a row with the controller and the reason
where they don't. A mount the wiring check cannot resolve against either is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..objects import ObjectSet


@dataclass(frozen=True)
class Made:
    kind: str
    namespace: str  # "*": in every namespace
    name: str  # fnmatch pattern
    controller: str


CONTROLLER_MADE: tuple[Made, ...] = (
    Made("ConfigMap", "*", "kube-root-ca.crt", "kube-controller-manager (root CA publisher, every namespace)"),
    Made(
        "Secret",
        "monitoring",
        "kube-prometheus-stack-admission",
        "kube-webhook-certgen Job of kube-prometheus-stack (pre-install hook)",
    ),
    Made("Secret", "argocd", "argocd-redis", "argo-cd's redis-secret-init Job (pre-install hook)"),
    Made("Secret", "gatekeeper-system", "gatekeeper-webhook-server-cert", "gatekeeper's cert-controller"),
    Made("Secret", "external-secrets", "external-secrets-webhook", "external-secrets' cert-controller"),
    Made("Secret", "linkerd", "linkerd-*-k8s-tls", "linkerd's Helm chart or its certificate tooling"),
)


class ControllerMade:
    """What the stack's controllers will create, for `objects`."""

    def __init__(self, objects: ObjectSet):
        self.derived = _derived(objects)

    def __contains__(self, item: tuple[str, str | None, str]) -> bool:
        kind, namespace, name = item
        if item in self.derived or ((kind, "*", name) in self.derived):
            return True
        return any(
            row.kind == kind and row.namespace in ("*", namespace) and fnmatchcase(name, row.name)
            for row in CONTROLLER_MADE
        )


def _derived(objects: ObjectSet) -> set[tuple[str, str | None, str]]:
    made: set[tuple[str, str | None, str]] = set()
    if any(d.name == "istiod" for d in objects.of_kind("Deployment")):
        made.add(("ConfigMap", "*", "istio-ca-root-cert"))  # istiod publishes the mesh root CA everywhere
    for es in objects.of_kind("ExternalSecret"):
        made.add(("Secret", es.namespace, (es.spec.get("target") or {}).get("name") or es.name))
    for cert in objects.of_kind("Certificate"):
        made.add(("Secret", cert.namespace, cert.spec.get("secretName", "")))
    for p in objects.of_kind("Prometheus"):
        made |= {
            ("Secret", p.namespace, f"prometheus-{p.name}"),
            ("Secret", p.namespace, f"prometheus-{p.name}-tls-assets-0"),
            ("Secret", p.namespace, f"prometheus-{p.name}-web-config"),
            ("ConfigMap", p.namespace, f"prometheus-{p.name}-rulefiles-0"),
        }
    for a in objects.of_kind("Alertmanager"):
        made |= {
            ("Secret", a.namespace, f"alertmanager-{a.name}-generated"),
            ("Secret", a.namespace, f"alertmanager-{a.name}-tls-assets-0"),
            ("Secret", a.namespace, f"alertmanager-{a.name}-web-config"),
        }
    return made
