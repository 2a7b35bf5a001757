"""Argo CD projects: what an Application may deploy, from where, to where (AppProject specs).

Argo CD's project docs: every Application belongs to a project, and the built-in `default`
project allows anything; so the services get their own narrow project, the bootstrap objects
theirs, and `default` is emptied so an Application cannot escape into it."""

from __future__ import annotations

from typing import Any

from ..addresses import ARGOCD_NAMESPACE, IN_CLUSTER_API, SERVICES_NAMESPACE
from ..config import PlatformConfig

SERVICES_PROJECT = "store"
BOOTSTRAP_PROJECT = "bootstrap"
CI_ROLE = "ci"

# Namespaced kinds the services must not manage although they sit in their namespace: RBAC
# would let an application grant itself API access, quotas and limits are the platform's.
_PLATFORM_OWNED_KINDS = (
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
)


def services_project(config: PlatformConfig) -> dict[str, Any]:
    """The six services: one repository, one namespace, no cluster-scoped kinds at all."""
    return {
        "description": f"The store services in {config.environment}, deployed from the GitOps repository",
        "sourceRepos": [config.gitops.repo_url],
        "destinations": [{"server": IN_CLUSTER_API, "namespace": SERVICES_NAMESPACE}],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [{"group": g, "kind": k} for g, k in _PLATFORM_OWNED_KINDS],
        "orphanedResources": {"warn": True},  # show what is in the namespace but not in Git
        # The delivery pipeline's identity: it may look at and sync this project's applications,
        # nothing else (a token is issued with `argocd proj role create-token store ci`).
        "roles": [
            {
                "name": CI_ROLE,
                "description": "GitHub Actions: sync after deploy and wait for health",
                "policies": [
                    f"p, proj:{SERVICES_PROJECT}:{CI_ROLE}, applications, {action}, {SERVICES_PROJECT}/*, allow"
                    for action in ("get", "sync")
                ],
            }
        ],
    }


def bootstrap_project(config: PlatformConfig) -> dict[str, Any]:
    """The root Application: Argo objects only (Applications, ApplicationSets), in Argo CD's
    namespace; projects themselves stay with Pulumi so Git cannot widen them."""
    return {
        "description": "The root Application and the ApplicationSets it keeps in step with Git",
        "sourceRepos": [config.gitops.repo_url],
        "destinations": [{"server": IN_CLUSTER_API, "namespace": ARGOCD_NAMESPACE}],
        "clusterResourceWhitelist": [],
        "namespaceResourceWhitelist": [
            {"group": "argoproj.io", "kind": "Application"},
            {"group": "argoproj.io", "kind": "ApplicationSet"},
        ],
    }


def locked_default_project() -> dict[str, Any]:
    """The built-in project with nothing allowed: no source, no destination, no kind."""
    return {
        "sourceRepos": [],
        "destinations": [],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
    }
