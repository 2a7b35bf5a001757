"""Values of the argo-rollouts chart, a pure function of the stack's config."""

from __future__ import annotations

from typing import Any

from ..cluster import Placement
from ..config import PlatformConfig

# The traffic routers whose RBAC the controller gets. The service chart shifts canary traffic
# through Istio VirtualServices; every other provider's rules are left out (least privilege).
_PROVIDERS = (
    "istio",
    "smi",
    "ambassador",
    "awsLoadBalancerController",
    "awsAppMesh",
    "traefik",
    "apisix",
    "contour",
    "glooPlatform",
    "gatewayAPI",
)


def rollouts_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    ha = config.is_prod
    return {
        "controller": {
            # Two replicas elect a leader; the standby takes over without waiting for a reschedule.
            "replicas": 2 if ha else 1,
            "pdb": {"enabled": True, "minAvailable": 1} if ha else {"enabled": False},
            "nodeSelector": placement.node_selector,
            "tolerations": placement.tolerations,
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},  # the release waits for the CRDs
        },
        "providerRBAC": {"enabled": True, "providers": {p: p == "istio" for p in _PROVIDERS}},
        "dashboard": {"enabled": False},  # no unauthenticated UI; rollouts show in Argo CD's resource tree
    }
