"""Gatekeeper: Helm values, the vendored gatekeeper-library templates, our constraints and the
violation alerts, as pure functions of config.

Constraint groups and where they apply:
- supply chain (allowed registries, no `latest`/untagged images, no NodePort, no anonymous
  bindings): every namespace but the EXCLUDED ones (the image rules also skip IMAGE_EXCLUDED);
- pod-security baseline (privileged, host namespaces, added capabilities): every namespace but
  the EXCLUDED and the POD_SECURITY_EXCLUDED ones;
- pod-security restricted (no privilege escalation, drop ALL): namespaces whose Pod Security
  Admission level is restricted, so Gatekeeper's audit reports what PSA would refuse at the next
  restart, with the enforcement action of this environment;
- workload hygiene (labels `app.kubernetes.io/name` and `team`, requests and limits, readiness
  probe): the services' namespace, the only one whose charts this project writes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..addresses import (
    FALCO_NAMESPACE,
    GATEKEEPER_NAMESPACE,
    INGRESS_NAMESPACE,
    ISTIO_NAMESPACE,
    LINKERD_NAMESPACE,
    SERVICES_NAMESPACE,
)
from ..cluster import Placement
from ..config import PlatformConfig
from ..observability import AGENTS_NAMESPACE
from .registries import allowed_registries

LIBRARY = Path(__file__).parent / "gatekeeper-library"

# Never matched by any constraint.
EXCLUDED: dict[str, str] = {
    "kube-system": "the cloud's own system pods (CNI, CSI, kube-proxy) come from its registries and run privileged",
    GATEKEEPER_NAMESPACE: "Gatekeeper must never block its own pods (upstream: exempt the namespace it runs in)",
}
# Not matched by the pod-security rules: add-ons that legitimately need host access.
POD_SECURITY_EXCLUDED: dict[str, str] = {
    FALCO_NAMESPACE: "Falco's DaemonSet loads an eBPF probe and reads host /proc: privileged by design",
    ISTIO_NAMESPACE: "the istio-cni node agent rewrites pod networking on each node (privileged, host network)",
    LINKERD_NAMESPACE: "linkerd-cni configures pod networking on each node (host paths, host network)",
    AGENTS_NAMESPACE: "node-exporter reads host metrics with host PID, host network and host paths",
}
# Not matched by the image rules (registries, tags). Gatekeeper's expansion checks a Deployment
# as its pod template, before any other webhook mutates it.
IMAGE_EXCLUDED: dict[str, str] = {
    INGRESS_NAMESPACE: "the Istio gateway chart's Deployment says `image: auto`, which Istio's injector replaces "
    "with istiod's proxy image when it creates the pod; only the gateway runs here",
}
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PODS = [{"apiGroups": [""], "kinds": ["Pod"]}]


@dataclass(frozen=True)
class Constraint:
    kind: str  # the template's constraint kind
    name: str
    reason: str
    match: dict[str, Any]
    parameters: dict[str, Any] | None = None


@dataclass(frozen=True)
class Template:
    path: str  # below gatekeeper-library/, e.g. general/allowedrepos/1.0.2
    kind: str
    document: dict[str, Any]


@functools.cache
def templates() -> tuple[Template, ...]:
    """Every vendored ConstraintTemplate, as upstream publishes it."""
    found = []
    for file in sorted(LIBRARY.rglob("template.yaml")):
        document = yaml.safe_load(file.read_text())
        kind = document["spec"]["crd"]["spec"]["names"]["kind"]
        found.append(Template(str(file.parent.relative_to(LIBRARY)), kind, document))
    return tuple(found)


def _excluding(*groups: dict[str, str]) -> dict[str, Any]:
    return {"excludedNamespaces": sorted({ns for group in groups for ns in group})}


def constraints(config: PlatformConfig) -> list[Constraint]:
    everywhere = {"kinds": PODS, **_excluding(EXCLUDED, IMAGE_EXCLUDED)}
    baseline = {"kinds": PODS, **_excluding(EXCLUDED, POD_SECURITY_EXCLUDED)}
    restricted = {
        "kinds": PODS,
        **_excluding(EXCLUDED, POD_SECURITY_EXCLUDED),
        "namespaceSelector": {"matchLabels": {PSA_ENFORCE: "restricted"}},
    }
    services = {"kinds": PODS, "namespaces": [SERVICES_NAMESPACE]}
    return [
        Constraint(
            "K8sAllowedRepos",
            "allowed-registries",
            "images only from the services' registries and those of the platform's add-ons",
            everywhere,
            {"repos": allowed_registries(config)},
        ),
        Constraint(
            "K8sDisallowedTags",
            "no-latest-or-untagged-images",
            "a moving tag makes a rollback redeploy something else",
            everywhere,
            {"tags": ["latest"]},
        ),
        Constraint(
            "K8sBlockNodePort",
            "no-nodeport-services",
            "traffic enters through the ingress gateway's load balancer, never a node port",
            {"kinds": [{"apiGroups": [""], "kinds": ["Service"]}], **_excluding(EXCLUDED)},
        ),
        Constraint(
            "K8sDisallowAnonymous",
            "no-anonymous-bindings",
            "no role may be granted to unauthenticated users",
            {"kinds": [{"apiGroups": ["rbac.authorization.k8s.io"], "kinds": ["ClusterRoleBinding", "RoleBinding"]}]},
            # Kubernetes' own binding letting anyone read /version and /healthz.
            {"allowedRoles": ["system:public-info-viewer"]},
        ),
        Constraint(
            "K8sPSPPrivilegedContainer", "baseline-no-privileged", "Pod Security baseline: no privileged", baseline
        ),
        Constraint(
            "K8sPSPHostNamespace", "baseline-no-host-namespaces", "Pod Security baseline: no host PID/IPC", baseline
        ),
        Constraint(
            "K8sPSPCapabilities",
            "restricted-drop-all-capabilities",
            "Pod Security restricted: drop ALL, add nothing but NET_BIND_SERVICE",
            restricted,
            {"requiredDropCapabilities": ["ALL"], "allowedCapabilities": ["NET_BIND_SERVICE"]},
        ),
        Constraint(
            "K8sPSPAllowPrivilegeEscalationContainer",
            "restricted-no-privilege-escalation",
            "Pod Security restricted: allowPrivilegeEscalation false",
            restricted,
        ),
        Constraint(
            "K8sRequiredLabels",
            "services-required-labels",
            "every service pod names its app and owning team (dashboards, alerts and cost by team)",
            services,
            {"labels": [{"key": "app.kubernetes.io/name"}, {"key": "team", "allowedRegex": "^[a-z][a-z0-9-]*$"}]},
        ),
        Constraint(
            "K8sRequiredResources",
            "services-requests-and-limits",
            "requests for scheduling, limits so one service cannot starve the node",
            services,
            {"requests": ["cpu", "memory"], "limits": ["cpu", "memory"]},
        ),
        Constraint(
            "K8sRequiredProbes",
            "services-readiness-probe",
            # Readiness only: the mesh's own sidecar container carries a readiness probe but no
            # liveness probe, and this template cannot exempt a container.
            "traffic reaches a pod only once it says it is ready",
            services,
            {"probes": ["readinessProbe"], "probeTypes": ["httpGet", "tcpSocket", "exec", "grpc"]},
        ),
    ]


def workload_expansion() -> dict[str, Any]:
    """ExpansionTemplate spec: Gatekeeper checks a workload's pod template as the Pod it will
    create, so a violation fails the Deployment or Rollout that Argo CD applies instead of
    leaving a ReplicaSet that silently cannot create its pods."""
    return {
        "applyTo": [
            {"groups": ["apps"], "versions": ["v1"], "kinds": ["Deployment", "StatefulSet", "DaemonSet"]},
            {"groups": ["batch"], "versions": ["v1"], "kinds": ["Job"]},
            {"groups": ["argoproj.io"], "versions": ["v1alpha1"], "kinds": ["Rollout"]},
        ],
        "templateSource": "spec.template",
        "generatedGVK": {"group": "", "version": "v1", "kind": "Pod"},
    }


def gatekeeper_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    placed = {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations}
    spread = (
        [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"control-plane": "controller-manager"}},
            }
        ]
        if config.is_prod
        else []
    )
    return {
        # Three webhook replicas in prod (HA); the webhook fails open (chart default Ignore), so
        # an outage of Gatekeeper never blocks deployments, while audit still reports.
        "replicas": 3 if config.is_prod else 1,
        "auditInterval": 60,
        "constraintViolationsLimit": 50,
        "logDenies": True,
        "metricsBackends": ["prometheus"],
        "pdb": {"controllerManager": {"minAvailable": 2 if config.is_prod else 0}},
        "controllerManager": {**placed, "topologySpreadConstraints": spread},
        "audit": {**placed, "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}},
        "postInstall": placed,
        "postUpgrade": placed,
        "preUninstall": placed,
        "crds": placed,
    }


def violation_alerts(config: PlatformConfig) -> dict[str, Any]:
    """PrometheusRule spec: violations found by the audit, and an audit that stopped running."""
    return {
        "groups": [
            {
                "name": "gatekeeper",
                "rules": [
                    {
                        "alert": "GatekeeperConstraintViolations",
                        "expr": "sum by (enforcement_action) (gatekeeper_violations) > 0",
                        "for": "30m",
                        "labels": {"severity": "critical" if config.policy.enforcement == "deny" else "warning"},
                        "annotations": {
                            "summary": "{{ $value }} objects violate Gatekeeper constraints "
                            "({{ $labels.enforcement_action }})",
                            "description": "List them: kubectl get constraints -o wide; each constraint's status "
                            "holds the violating objects.",
                        },
                    },
                    {
                        "alert": "GatekeeperAuditStalled",
                        "expr": "time() - max(gatekeeper_audit_last_run_time) > 600",
                        "for": "10m",
                        "labels": {"severity": "warning"},
                        "annotations": {"summary": "Gatekeeper's audit has not completed for 10 minutes"},
                    },
                ],
            }
        ]
    }


def metrics_pod_monitor() -> dict[str, Any]:
    """PodMonitor spec for Gatekeeper's controller and audit pods (the chart ships none)."""
    return {
        "selector": {"matchLabels": {"gatekeeper.sh/system": "yes"}},
        "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}],
    }
