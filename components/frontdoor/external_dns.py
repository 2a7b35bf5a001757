"""external-dns: writes the records of the platform's hosts into the stack's zone, from the
objects that name them (Istio Gateways' hosts), with the cloud's workload identity.

TXT registry owned by this stack (`txtOwnerId`): it touches only records it created. In prod the
policy is upsert-only (it never deletes a record, so a bad change cannot take the store's name
off the internet); elsewhere sync, so records of removed hosts go."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..cluster import Placement
from ..config import PlatformConfig

SERVICE_ACCOUNT = "external-dns"  # the chart names it after the release
PODS = {"app.kubernetes.io/name": "external-dns"}
AZURE_CONFIG_SECRET = "external-dns-azure"  # azure.json: which zone, signed in by workload identity
AZURE_CONFIG_DIR = "/etc/kubernetes"


def policy(config: PlatformConfig) -> str:
    return "upsert-only" if config.is_prod else "sync"


def sources(config: PlatformConfig) -> list[str]:
    """Where hosts are read from: the mesh's gateway objects."""
    return ["istio-gateway"] if config.mesh.provider == "istio" else []


def azure_config(zone: Mapping[str, str]) -> str:
    """external-dns's azure.json: no credential, the pod's federated token signs in."""
    return json.dumps(
        {
            "tenantId": zone["tenant_id"],
            "subscriptionId": zone["subscription_id"],
            "resourceGroup": zone["resource_group"],
            "useWorkloadIdentityExtension": True,
        },
        sort_keys=True,
    )


def _provider(config: PlatformConfig, zone: Mapping[str, str]) -> tuple[str, list[str], dict[str, Any]]:
    """(provider name, its arguments, extra values) on the stack's cloud, limited to the one zone."""
    only_zone = f"--zone-id-filter={zone['zone_id']}"
    if config.cloud == "aws":
        return (
            "aws",
            ["--aws-zone-type=public", only_zone],
            {"env": [{"name": "AWS_DEFAULT_REGION", "value": config.region}]},
        )
    if config.cloud == "gcp":
        return "google", [f"--google-project={config.gcp_project_id}", "--google-zone-visibility=public", only_zone], {}
    if config.cloud == "azure":
        mount = {
            "extraVolumes": [{"name": "azure-config", "secret": {"secretName": AZURE_CONFIG_SECRET}}],
            "extraVolumeMounts": [{"name": "azure-config", "mountPath": AZURE_CONFIG_DIR, "readOnly": True}],
        }
        return "azure", [f"--azure-config-file={AZURE_CONFIG_DIR}/azure.json"], mount
    raise ValueError(f"no DNS provider on cloud {config.cloud}: an existing cluster gets no records")


def external_dns_values(
    config: PlatformConfig,
    placement: Placement,
    service_account_annotations: Mapping[str, str],
    pod_labels: Mapping[str, str],
    zone: Mapping[str, str],
) -> dict[str, Any]:
    name, args, extra = _provider(config, zone)
    return {
        "provider": {"name": name},
        "extraArgs": args,
        **extra,
        "sources": sources(config),
        "policy": policy(config),
        "registry": "txt",
        "txtOwnerId": config.name_prefix,
        "domainFilters": [config.dns.domain],
        "serviceAccount": {"annotations": dict(service_account_annotations)},
        "podLabels": dict(pod_labels),
        "serviceMonitor": {"enabled": True},
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }
