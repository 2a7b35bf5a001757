"""Defaults per environment: dev small and cheap, staging like prod but smaller, prod highly
available and protected, local for an existing cluster on a laptop.

A stack file states only what differs from these. Machine types are written in AWS's
vocabulary and translated to the chosen cloud's (see clouds.translate_machine_type).
The README's configuration table is generated from this module (`make docs-config`).
"""

from __future__ import annotations

import copy
from typing import Any

_COMMON: dict[str, Any] = {
    "cloud": "aws",
    "project": "acme-store",
    "cluster": {"kubernetesVersion": "1.33"},
    "mesh": {"provider": "istio", "internalLoadBalancer": False},
    "gitops": {"repoUrl": "https://github.com/acme/store-management", "targetRevision": "main"},
    "observability": {"tracing": "tempo"},
    "secrets": {"backend": "vault"},
    "policy": {"allowedRegistries": ["ghcr.io/acme/"]},
    # Who calls whom: network policy allows exactly these calls. SLOs: the playbook's defaults.
    "services": {
        name: {"team": team, "calls": calls, "slo": {"availability": 99.9, "latencyP95Ms": 300, "windowDays": 30}}
        for name, team, calls in (
            ("gateway", "platform", ["auth", "attendance", "inventory", "sales", "notification"]),
            ("attendance", "workforce", ["auth", "notification"]),
            ("inventory", "stock", ["auth", "notification"]),
            ("sales", "commerce", ["auth", "inventory", "notification"]),
            ("notification", "platform", []),
            ("auth", "identity", []),
        )
    },
}


def _domain(environment: str) -> str:
    """The stack's DNS zone: prod at the apex of the public domain, the others delegated below it."""
    return "acme.example" if environment == "prod" else f"{environment}.acme.example"


def _gitops(environment: str, *, developers: str | None) -> dict[str, Any]:
    """Argo CD per environment: local admin where there is no SSO (dev, local); elsewhere sign-in
    only through the identity provider, developers allowed to sync (staging) or only to look (prod)."""
    sso = (
        {
            "issuer": "https://login.acme.example",
            "clientId": f"argocd-{environment}",
            "groupRoles": {"store-platform-admins": "admin", "store-developers": developers},
        }
        if developers
        else None
    )
    return {
        "domain": f"argocd.{_domain(environment)}",
        "localAdmin": sso is None,
        "sso": sso,
        "slackChannel": f"#store-deploys-{environment}",
    }


_BY_ENVIRONMENT: dict[str, dict[str, Any]] = {
    "dev": {
        "dns": {"domain": _domain("dev")},
        # Every request traced where traffic is light; a sample where the collector would drown.
        "mesh": {"tracingSamplingPercent": 100},
        "gitops": _gitops("dev", developers=None),
        "cluster": {
            # No authorizedNetworks by default: the deployers' own egress ranges are a required input.
            "privateEndpoint": False,
            "networkCidr": "10.20.0.0/16",
            "nodePools": {
                "system": {"instanceType": "m7i.large", "min": 1, "max": 2, "diskGb": 50},
                "workloads": {"instanceType": "m7i.large", "min": 1, "max": 4, "diskGb": 50},
            },
        },
        "observability": {"retentionDays": 7, "slackChannel": "#store-alerts-dev"},
        "policy": {"enforcement": "warn"},
    },
    "staging": {
        "dns": {"domain": _domain("staging")},
        "mesh": {"tracingSamplingPercent": 10},
        "gitops": _gitops("staging", developers="deployer"),
        "cluster": {
            "privateEndpoint": False,
            "networkCidr": "10.30.0.0/16",
            "nodePools": {
                "system": {"instanceType": "m7i.large", "min": 2, "max": 3, "diskGb": 80},
                "workloads": {"instanceType": "m7i.xlarge", "min": 2, "max": 6, "diskGb": 80},
            },
        },
        "observability": {"retentionDays": 15, "slackChannel": "#store-alerts-staging"},
        "policy": {"enforcement": "dryrun"},
    },
    "prod": {
        "dns": {"domain": _domain("prod")},
        "mesh": {"tracingSamplingPercent": 100},  # every trace reaches the collector, which tail-samples
        "gitops": _gitops("prod", developers="readonly"),
        "cluster": {
            "privateEndpoint": True,
            # In-network ranges (VPN, peered office) that reach the private endpoint.
            "authorizedNetworks": ["10.0.0.0/8"],
            "networkCidr": "10.40.0.0/16",
            "nodePools": {
                # Three system nodes: one per zone, so Vault's three Raft peers and the other
                # HA add-ons can spread across zones.
                "system": {"instanceType": "m7i.large", "min": 3, "max": 4, "diskGb": 100},
                "workloads": {"instanceType": "m7i.xlarge", "min": 3, "max": 12, "diskGb": 100},
            },
        },
        "observability": {"retentionDays": 30, "slackChannel": "#store-alerts-prod"},
        "policy": {"enforcement": "deny"},
    },
    "local": {
        "dns": {"domain": _domain("local")},
        "mesh": {"tracingSamplingPercent": 100},
        "gitops": _gitops("local", developers=None),
        "cloud": "existing",
        "cluster": {
            "privateEndpoint": False,
            "authorizedNetworks": [],
            "networkCidr": "10.10.0.0/16",
            "kubeContext": "kind-store",
            "nodePools": {
                "system": {"instanceType": "m7i.large", "min": 1, "max": 1, "diskGb": 20},
                "workloads": {"instanceType": "m7i.large", "min": 1, "max": 1, "diskGb": 20},
            },
        },
        "observability": {"retentionDays": 2, "slackChannel": "#store-alerts-local"},
        "policy": {"enforcement": "warn"},
    },
}


def deep_merge(base: Any, override: Any) -> Any:
    """`override` laid over `base`: maps merge key by key, anything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def defaults_for(environment: str) -> dict[str, Any]:
    """The full default config of one environment, in stack-file (camelCase) form."""
    return deep_merge(_COMMON, _BY_ENVIRONMENT[environment])
