"""External Secrets Operator: Helm values and the one ClusterSecretStore the services' ExternalSecrets
read through, backed by Vault (Kubernetes auth) or, on AWS, Secrets Manager (workload identity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..addresses import VAULT, VAULT_NAMESPACE
from ..cluster import Placement
from ..config import PlatformConfig
from .vault import CA_SECRET, ESO_ROLE, KV_MOUNT

CLUSTER_SECRET_STORE = "store-secrets"  # the name the service chart's ExternalSecrets refer to
SERVICE_ACCOUNT = "external-secrets"  # the chart names it after the release


def secrets_manager_prefix(config: PlatformConfig) -> str:
    """Secret names in AWS Secrets Manager start with this; the identity may read nothing else."""
    return f"{config.name_prefix}/"


def external_secrets_values(
    config: PlatformConfig, placement: Placement, service_account_annotations: Mapping[str, str]
) -> dict[str, Any]:
    replicas = 2 if config.is_prod else 1
    placed = {"nodeSelector": placement.node_selector, "tolerations": placement.tolerations}
    small = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "256Mi"}}
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        "leaderElect": replicas > 1,
        "podDisruptionBudget": {"enabled": replicas > 1},
        "serviceAccount": {"annotations": dict(service_account_annotations)},
        "serviceMonitor": {"enabled": True},
        "resources": small,
        **placed,
        "webhook": {"replicaCount": replicas, "resources": small, **placed},
        "certController": {"resources": small, **placed},
    }


def cluster_secret_store_spec(config: PlatformConfig) -> dict[str, Any]:
    if config.secrets.backend == "aws-secrets-manager":
        # No auth block: the controller's own service account identity (IRSA / Pod Identity).
        provider: dict[str, Any] = {
            "aws": {"service": "SecretsManager", "region": config.region, "prefix": secrets_manager_prefix(config)}
        }
    else:
        provider = {
            "vault": {
                "server": VAULT.url,
                "path": KV_MOUNT,
                "version": "v2",
                "caProvider": {"type": "Secret", "name": CA_SECRET, "namespace": VAULT_NAMESPACE, "key": "ca.crt"},
                # The controller's service account token; the Vault role is bound to it (vault.bootstrap_commands).
                "auth": {"kubernetes": {"mountPath": "kubernetes", "role": ESO_ROLE}},
            }
        }
    return {"provider": provider, "refreshInterval": 300}
