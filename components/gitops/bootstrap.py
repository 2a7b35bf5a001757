"""What Argo CD deploys: the cluster's metadata, the services' ApplicationSet and the root
Application, as plain specs (pure functions of config, tested without Pulumi).

gitops-bridge style: Pulumi knows the environment, cloud and mesh; it writes them as labels on
Argo CD's cluster Secret, and the ApplicationSet templates every Application from those labels
(cluster generator), so the same ApplicationSet file works unchanged on any cluster."""

from __future__ import annotations

from typing import Any

from ..addresses import ARGOCD_NAMESPACE, IN_CLUSTER_API, SERVICES_NAMESPACE
from ..config import PlatformConfig
from ..frontdoor.hosts import store_host
from .projects import BOOTSTRAP_PROJECT, SERVICES_PROJECT

SERVICE_CHART_PATH = "charts/service"
# What the root Application syncs: Argo objects teams add by Git (extra Applications). Never the
# objects Pulumi applies (the root Application itself, the services' ApplicationSet): one owner
# each (docs/ownership.md). The files `store-platform render` writes for them are excluded even if
# someone commits them here.
BOOTSTRAP_PATH = "infra/argo/apps"
PULUMI_OWNED_FILES = ("application.yaml", "applicationset.yaml")
APPLICATION_SET_NAME = "store-services"
ROOT_APPLICATION_NAME = "root"
# Labels on the cluster Secret the ApplicationSet reads (its template fails on a missing one).
CLUSTER_METADATA = ("environment", "cloud", "mesh")

# Failed syncs retry with backoff (10s, 20s, 40s... capped at 5m) before a human is needed:
# a transient API or webhook error does not leave an environment half-deployed.
_RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}
# Argo Rollouts moves the canary's weights in the VirtualService while a rollout runs; without
# this, Argo CD would show the service OutOfSync and self-heal would undo the canary.
_ROLLOUT_WEIGHTS = {
    "group": "networking.istio.io",
    "kind": "VirtualService",
    "jqPathExpressions": [".spec.http[].route[].weight"],
}


def cluster_labels(config: PlatformConfig) -> dict[str, str]:
    """The cluster Secret's labels: what the ApplicationSet selects on and templates from."""
    return {"environment": config.environment, "cloud": config.cloud, "mesh": config.mesh.provider}


def services_sync_policy(environment: str) -> dict[str, Any]:
    """dev, staging and local follow Git fully: prune removes what Git dropped, self-heal undoes
    hand edits, so they always equal the repository. prod syncs and self-heals automatically
    too, but never prunes: deleting a live object in prod takes a person pressing prune,
    so a bad merge cannot delete a production Service or Rollout."""
    return {
        "automated": {"prune": environment != "prod", "selfHeal": True},
        "syncOptions": [
            "ServerSideApply=true",  # large CRs (Rollouts) exceed the client-side annotation limit
            "RespectIgnoreDifferences=true",  # sync leaves the Rollouts-owned weights alone
            "PruneLast=true",
            "CreateNamespace=false",  # the Platform owns the namespace and its mesh/Pod Security labels
        ],
        "retry": _RETRY,
    }


def called_by(config: PlatformConfig) -> dict[str, list[str]]:
    """The reverse of `services.<svc>.calls`: who calls each service."""
    return {
        callee: sorted(caller for caller, service in config.services.items() if callee in service.calls)
        for callee in config.services
    }


def service_elements(config: PlatformConfig) -> list[dict[str, Any]]:
    """One list-generator element per service: what its chart values need from the stack."""
    callers = called_by(config)
    # The public host and its certificate's Secret (components/frontdoor): every element carries
    # them (the template reads the same keys for all), the chart uses them for the gateway only.
    store = store_host(config)
    ingress = {"host": store.name, "tlsCredentialName": store.tls_secret}
    return [
        {
            "service": name,
            "calls": list(service.calls),
            "calledBy": callers[name],
            "slo": {"availability": service.slo.availability, "latencyP95Ms": service.slo.latency_p95_ms},
            "ingress": dict(ingress),
        }
        for name, service in config.services.items()
    ]


# Lists and objects cannot be produced by a templated string field, so the chart values go in
# through templatePatch (Go template -> YAML merged into each Application).
_VALUES_PATCH = """spec:
  source:
    helm:
      valuesObject:
        service: {{ toJson .service }}
        environment: {{ toJson .metadata.labels.environment }}
        cloud: {{ toJson .metadata.labels.cloud }}
        mesh: {{ toJson .metadata.labels.mesh }}
        slo: {{ toJson .slo }}
        calls: {{ toJson .calls }}
        calledBy: {{ toJson .calledBy }}
        ingress: {{ toJson .ingress }}
"""


def application_set_spec(config: PlatformConfig) -> dict[str, Any]:
    """One Application per service on this environment's cluster, from the service chart."""
    prod = config.is_prod
    environment = "{{ .metadata.labels.environment }}"
    return {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [
            {
                "matrix": {
                    "generators": [
                        {"clusters": {"selector": {"matchLabels": {"environment": config.environment}}}},
                        {"list": {"elements": service_elements(config)}},
                    ]
                }
            }
        ],
        # prod: the ApplicationSet never deletes an Application (nor, through it, a running
        # service); removing a service there is a deliberate manual step.
        **({"syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True}} if prod else {}),
        "template": {
            "metadata": {
                "name": "{{ .service }}",
                "labels": {"app.kubernetes.io/name": "{{ .service }}", "environment": environment},
                # Outside prod, deleting an Application (a service dropped from the list)
                # deletes what it deployed; in prod the workload outlives its Application.
                **({} if prod else {"finalizers": ["resources-finalizer.argocd.argoproj.io"]}),
            },
            "spec": {
                "project": SERVICES_PROJECT,
                "source": {
                    "repoURL": config.gitops.repo_url,
                    "targetRevision": config.gitops.target_revision,
                    "path": SERVICE_CHART_PATH,
                    "helm": {
                        "releaseName": "{{ .service }}",
                        # Later files win: the service's own, the environment's, then the
                        # service in that environment. Absent files are skipped.
                        "valueFiles": [
                            "values/{{ .service }}.yaml",
                            f"values/{environment}.yaml",
                            f"values/{environment}/{{{{ .service }}}}.yaml",
                        ],
                        "ignoreMissingValueFiles": True,
                    },
                },
                "destination": {"server": "{{ .server }}", "namespace": SERVICES_NAMESPACE},
                "syncPolicy": services_sync_policy(config.environment),
                "ignoreDifferences": [_ROLLOUT_WEIGHTS],
                "revisionHistoryLimit": 10,
            },
        },
        "templatePatch": _VALUES_PATCH,
    }


def root_application_spec(config: PlatformConfig) -> dict[str, Any]:
    """The app of apps: keeps the Argo objects teams add under infra/argo/apps (this environment's
    revision) in step with Git. It self-heals but never prunes: a file removed by mistake must not
    delete an Application. The root Application and the services' ApplicationSet are Pulumi's
    alone: they are not in that folder, and their rendered files are excluded should they land there."""
    return {
        "project": BOOTSTRAP_PROJECT,
        "source": {
            "repoURL": config.gitops.repo_url,
            "targetRevision": config.gitops.target_revision,
            "path": BOOTSTRAP_PATH,
            "directory": {"exclude": "{" + ",".join(PULUMI_OWNED_FILES) + "}"},
        },
        "destination": {"server": IN_CLUSTER_API, "namespace": ARGOCD_NAMESPACE},
        "syncPolicy": {
            "automated": {"prune": False, "selfHeal": True},
            "syncOptions": ["ServerSideApply=true"],
            "retry": _RETRY,
        },
    }
