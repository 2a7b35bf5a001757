"""Values of the argo-cd chart, a pure function of the stack's config.

Follows Argo CD's operator manual: HA manifests for prod (redis-ha, replicated server and
repo-server), SSO through OIDC without Dex, RBAC that defaults to read-only, the local admin
disabled where SSO is the way in (FAQ "how to disable the admin user")."""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..cluster import Placement
from ..config import PlatformConfig
from ..config.model import OidcConfig

# Kubernetes Secrets the chart's components read, created by the GitOps component (never Helm values).
# A Secret labelled part-of: argocd can be referenced from argocd-cm as `$<secret>:<key>`.
OIDC_SECRET, OIDC_SECRET_KEY = "argocd-oidc", "clientSecret"
# The notifications controller resolves `$<key>` in its services from this Secret.
NOTIFICATIONS_SECRET, SLACK_WEBHOOK_KEY = "argocd-notifications-secret", "slack-webhook-url"

# Applications live in the `store` project; a deployer may sync them and run resource actions
# (Rollouts' promote/abort are actions), nothing on projects, clusters or repositories.
_DEPLOYER_POLICY = (
    "p, role:deployer, applications, get, store/*, allow",
    "p, role:deployer, applications, sync, store/*, allow",
    "p, role:deployer, applications, action/*, store/*, allow",
    "p, role:deployer, logs, get, store/*, allow",
    "g, role:deployer, role:readonly",
)


# The argocd namespace enforces Pod Security "restricted"; the redis-ha subchart's defaults are
# not part of argo-cd's values, so its containers state the restricted fields themselves.
_RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def argocd_values(config: PlatformConfig, placement: Placement, *, notifications: bool) -> dict[str, Any]:
    """`notifications`: the Slack webhook Secret exists. ServiceMonitors are on: the release
    waits for the Prometheus Operator CRDs."""
    gitops, ha = config.gitops, config.is_prod
    replicas = 2 if ha else 1
    pdb = {"enabled": True, "minAvailable": 1} if ha else {"enabled": False}
    metrics = {"enabled": True, "serviceMonitor": {"enabled": True}}
    cm: dict[str, Any] = {
        "admin.enabled": gitops.local_admin,
        "exec.enabled": False,  # no shell into pods through the UI
        "users.anonymous.enabled": False,
    }
    if gitops.sso is not None:
        cm["oidc.config"] = _oidc_config(gitops.sso)
    return {
        "global": {
            "domain": gitops.domain,
            "logging": {"format": "json"},
            # The chart's own default selector (linux nodes) kept, the system pool added.
            "nodeSelector": {"kubernetes.io/os": "linux", **placement.node_selector},
            "tolerations": placement.tolerations,
            # The chart's own policies admit its server from anywhere and its metrics from every
            # namespace; the platform's namespace policies (security/flows.py) govern instead.
            "networkPolicy": {"create": False},
        },
        "configs": {
            "cm": cm,
            "params": {
                "server.tls.minversion": "1.2",
                "reposerver.tls.minversion": "1.2",
                # An ApplicationSet's own syncPolicy.applicationsSync (prod: create-update, so the
                # controller never deletes a service's Application) is ignored without this.
                "applicationsetcontroller.enable.policy.override": True,
            },
            "rbac": {
                "policy.default": "role:readonly",
                "policy.csv": _rbac_policy(gitops.sso),
                "scopes": "[groups]",
            },
        },
        "dex": {"enabled": False},  # OIDC straight to the identity provider
        "redis-ha": _redis_ha(ha, placement),
        # One cluster per environment: the controller shards by cluster, so a second replica
        # would hold no shard. Its StatefulSet restarts it on failure.
        "controller": {"replicas": 1, "metrics": metrics},
        "server": {"replicas": replicas, "pdb": pdb, "metrics": metrics},
        "repoServer": {"replicas": replicas, "pdb": pdb, "metrics": metrics},
        "applicationSet": {"replicas": replicas, "pdb": pdb, "metrics": metrics},
        "notifications": _notifications(config, metrics) if notifications else {"enabled": False},
    }


def _oidc_config(sso: OidcConfig) -> str:
    return yaml.safe_dump(
        {
            "name": "SSO",
            "issuer": sso.issuer,
            "clientID": sso.client_id,
            "clientSecret": f"${OIDC_SECRET}:{OIDC_SECRET_KEY}",
            "requestedScopes": ["openid", "profile", "email", "groups"],
        },
        sort_keys=False,
    )


def _rbac_policy(sso: OidcConfig | None) -> str:
    groups = sorted((sso.group_roles if sso else {}).items())
    lines = [*_DEPLOYER_POLICY, *(f"g, {group}, role:{role}" for group, role in groups)]
    return "\n".join(lines) + "\n"


def _redis_ha(ha: bool, placement: Placement) -> dict[str, Any]:
    """Prod keeps Argo CD's cache in Redis with Sentinel across three nodes (the HA manifests);
    elsewhere the chart's single Redis is enough."""
    if not ha:
        return {"enabled": False}
    pods = {
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
        "containerSecurityContext": _RESTRICTED_CONTAINER,
    }
    return {"enabled": True, **pods, "haproxy": {"enabled": True, **pods}}


def _notifications(config: PlatformConfig, metrics: dict[str, Any]) -> dict[str, Any]:
    """Sync failures, degraded health and finished deployments of every Application, to Slack
    through the incoming webhook (notification docs: Slack via webhook)."""
    channel, environment = config.gitops.slack_channel, config.environment
    link = "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}"
    messages = {
        "app-sync-failed": f":x: {{{{.app.metadata.name}}}} ({environment}) failed to sync: {link}",
        "app-health-degraded": f":warning: {{{{.app.metadata.name}}}} ({environment}) is degraded: {link}",
        "app-deployed": f":white_check_mark: {{{{.app.metadata.name}}}} ({environment}) deployed "
        f"{{{{.app.status.sync.revision}}}}: {link}",
    }
    triggers = {
        "on-sync-failed": [
            {
                "when": "app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']",
                "send": ["app-sync-failed"],
            }
        ],
        "on-health-degraded": [{"when": "app.status.health.status == 'Degraded'", "send": ["app-health-degraded"]}],
        "on-deployed": [
            {
                "when": "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded'] "
                "and app.status.health.status == 'Healthy'",
                "oncePer": "app.status.sync.revision",
                "send": ["app-deployed"],
            }
        ],
    }
    return {
        "enabled": True,
        "secret": {"create": False, "name": NOTIFICATIONS_SECRET},  # created by the GitOps component
        "notifiers": {
            "service.webhook.slack": yaml.safe_dump(
                {
                    "url": f"${SLACK_WEBHOOK_KEY}",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                }
            )
        },
        "templates": {
            f"template.{name}": yaml.safe_dump(
                {
                    "webhook": {
                        "slack": {
                            "method": "POST",
                            # A Slack-app webhook posts to the channel it was made for; the
                            # channel field only steers a legacy webhook.
                            "body": json.dumps({"channel": channel, "text": text}),
                        }
                    }
                }
            )
            for name, text in messages.items()
        },
        "triggers": {f"trigger.{name}": yaml.safe_dump(rules) for name, rules in triggers.items()},
        "subscriptions": [{"recipients": [f"slack:{channel}"], "triggers": sorted(triggers)}],
        "metrics": metrics,
    }
