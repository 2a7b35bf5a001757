"""cert-manager: Helm values, the stack's ClusterIssuer and a Certificate per platform host, as
pure functions of config (tested without Pulumi).

One ClusterIssuer per stack: Let's Encrypt in prod, Let's Encrypt's staging directory elsewhere
(untrusted certificates, generous rate limits), both answering DNS-01 challenges in the stack's
zone through the cloud's DNS service with the controller's workload identity (no static
credentials: a ClusterIssuer's solver without credentials uses the pod's ambient identity). The
existing-cluster flavour has no public zone: a self-signed issuer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..addresses import CERT_MANAGER_NAMESPACE
from ..cluster import Placement
from ..config import PlatformConfig
from .hosts import Host

SERVICE_ACCOUNT = "cert-manager"  # the chart names the controller's account after the release
LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
# Pods of the controller: the only component that talks to ACME and the cloud DNS API.
CONTROLLER_PODS = {"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"}
WEBHOOK_PODS = {"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook"}
WEBHOOK_PORT = 10250  # chart values.yaml `webhook.securePort`, left as is


def issuer_name(config: PlatformConfig) -> str:
    if config.cloud == "existing":
        return "self-signed"
    return "letsencrypt" if config.is_prod else "letsencrypt-staging"


def cert_manager_values(
    config: PlatformConfig,
    placement: Placement,
    service_account_annotations: Mapping[str, str],
    pod_labels: Mapping[str, str],
) -> dict[str, Any]:
    """Two replicas of each component in prod (a PodDisruptionBudget each), one elsewhere; every
    component on the system pool; CRDs installed and kept by the chart; leader election in its
    own namespace (the chart's default is kube-system); metrics through a ServiceMonitor."""
    replicas = 2 if config.is_prod else 1
    small = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}
    placed = {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations}
    budget = {"enabled": replicas > 1, "minAvailable": 1}

    def component(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {"replicaCount": replicas, "resources": small, "podDisruptionBudget": budget, **placed, **(extra or {})}

    return {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        **component(),
        "serviceAccount": {"annotations": dict(service_account_annotations)},
        "podLabels": dict(pod_labels),
        # A Certificate's Secret goes when the Certificate goes: no stale keys left behind.
        "enableCertificateOwnerRef": True,
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": True}},
        "webhook": component(),
        "cainjector": component(),
        # Its post-install Job only polls the webhook; Pulumi already waits for the Deployments.
        "startupapicheck": {"enabled": False},
    }


def dns01_solver(config: PlatformConfig, zone: Mapping[str, str]) -> dict[str, Any]:
    """The DNS-01 solver for the stack's zone on its cloud. `zone`: the zone's coordinates once
    known (zone_id; Azure: resource_group, subscription_id, client_id)."""
    cloud = config.cloud
    if cloud == "aws":
        provider: dict[str, Any] = {"route53": {"region": config.region, "hostedZoneID": zone["zone_id"]}}
    elif cloud == "gcp":
        provider = {"cloudDNS": {"project": config.gcp_project_id, "hostedZoneName": zone["zone_id"]}}
    elif cloud == "azure":
        provider = {
            "azureDNS": {
                "subscriptionID": zone["subscription_id"],
                "resourceGroupName": zone["resource_group"],
                "hostedZoneName": zone["zone_id"],
                "environment": "AzurePublicCloud",
                "managedIdentity": {"clientID": zone["client_id"]},
            }
        }
    else:
        raise ValueError(f"no DNS-01 solver on cloud {cloud}; the existing cluster uses the self-signed issuer")
    return {"selector": {"dnsZones": [config.dns.domain]}, "dns01": provider}


def cluster_issuer_spec(config: PlatformConfig, zone: Mapping[str, str] | None) -> dict[str, Any]:
    if zone is None:
        return {"selfSigned": {}}
    return {
        "acme": {
            "server": LETS_ENCRYPT if config.is_prod else LETS_ENCRYPT_STAGING,
            "privateKeySecretRef": {"name": f"{issuer_name(config)}-account-key"},
            "solvers": [dns01_solver(config, zone)],
        }
    }


def certificate_spec(config: PlatformConfig, host: Host) -> dict[str, Any]:
    """One host's certificate, its key rotated with every renewal."""
    return {
        "secretName": host.tls_secret,
        "dnsNames": [host.name],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer_name(config)},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["digital signature", "key encipherment", "server auth"],
    }
