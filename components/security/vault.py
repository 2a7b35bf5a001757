"""Vault: Helm values, server configuration and the operator procedures, as pure functions of config.

Storage is integrated Raft (HA: three peers in prod, one elsewhere), TLS end to end with the
certificates of vault_tls.py, auto-unseal with the cluster's KMS key reached through workload
identity, or Shamir keys on existing clusters (printed procedure, README "Vault").
Settings follow HashiCorp's production hardening guide and the vault-helm HA-with-Raft example.

Restarts and upgrades roll: the StatefulSet is `RollingUpdate` (the chart's default is
`OnDelete`, under which neither a chart bump nor a changed pod template ever reaches a running
pod). The controller replaces one pod at a time, highest ordinal first, and waits for it to be
Ready, and a pod is Ready only once unsealed (READINESS_PATH): a pod that fails to unseal stops
the roll while the others keep quorum (the PodDisruptionBudget allows one pod down). An updated
pod is never restarted again in the same roll, so leadership never fails over from a newer
Vault to an older one, the rule of HashiCorp's HA upgrade procedure. docs/upgrade.md.

Renewed certificates are loaded without a restart: Vault rereads its listener certificate on
SIGHUP, and the `tls-reloader` sidecar sends it when the mounted `vault-tls` Secret changes
(shared process namespace, same user, no capability; `reloader_container`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..addresses import VAULT, VAULT_NAMESPACE
from ..cluster import Placement
from ..config import PlatformConfig
from ..kube import pvc_retention
from .restricted import RESTRICTED_CONTAINER, restricted_pod

TLS_SECRET = "vault-tls"  # server certificate, key and CA, mounted into the server pods
CA_SECRET = "vault-ca"  # the CA certificate alone, for clients (External Secrets, Prometheus)
TLS_DIR = f"/vault/userconfig/{TLS_SECRET}"
SERVICE_ACCOUNT = "vault"  # the chart names it after the release
AUDIT_LOG = "/vault/audit/vault_audit.log"
ESO_ROLE = "external-secrets"  # Vault role the ClusterSecretStore logs in with
KV_MOUNT = "secret"  # KV v2 mount holding the services' secrets under store/<service>/
# Ready when unsealed (active or standby), and while uninitialised: a new Vault waits for the
# operator's `vault operator init` after the first `pulumi up`, which (installing atomically,
# waiting for readiness) would otherwise roll the release back. Sealed is not Ready (503), so a
# rolling restart stops at a pod that does not unseal.
READINESS_PATH = "/v1/sys/health?standbyok=true&uninitcode=204"
# The server's image, as the catalogued chart (vault 0.34.1) sets it: the reloader sidecar runs
# the same image (its busybox shell), so nothing else is pulled. A test checks it against the chart.
IMAGE = "hashicorp/vault:2.0.4"
RELOADER = "tls-reloader"
RELOAD_INTERVAL_SECONDS = 30
SERVER_LABELS = {"app.kubernetes.io/name": "vault", "component": "server"}


def replicas(config: PlatformConfig) -> int:
    """Raft peers: three in prod (quorum survives one zone), one elsewhere."""
    return 3 if config.is_prod else 1


def audit_enabled(config: PlatformConfig) -> bool:
    return config.environment in ("staging", "prod")


def seal_stanza(seal_type: str, parameters: Mapping[str, str]) -> str:
    """Vault's `seal` block for a cloud KMS; credentials come from workload identity, never from here."""
    body = "\n".join(f'  {key} = "{value}"' for key, value in sorted(parameters.items()))
    return f'seal "{seal_type}" {{\n{body}\n}}\n'


def server_config(config: PlatformConfig, seal: str | None) -> str:
    """The server's HCL: TLS listener, Raft with every peer as a retry_join target, the seal,
    Kubernetes service registration and Prometheus telemetry."""
    joins = "".join(
        f"""
  retry_join {{
    leader_api_addr = "https://vault-{i}.vault-internal:{VAULT.port}"
    leader_ca_cert_file = "{TLS_DIR}/ca.crt"
  }}"""
        for i in range(replicas(config))
    )
    return f"""ui = false
disable_mlock = true

listener "tcp" {{
  address = "[::]:{VAULT.port}"
  cluster_address = "[::]:8201"
  tls_cert_file = "{TLS_DIR}/tls.crt"
  tls_key_file = "{TLS_DIR}/tls.key"
  tls_min_version = "tls12"
  telemetry {{
    unauthenticated_metrics_access = true
  }}
}}

storage "raft" {{
  path = "/vault/data"{joins}
}}

service_registration "kubernetes" {{}}

telemetry {{
  prometheus_retention_time = "30s"
  disable_hostname = true
}}
{seal or ""}"""


def reloader_script(interval: int = RELOAD_INTERVAL_SECONDS) -> str:
    """Compare the mounted certificate every `interval` seconds; on a change, SIGHUP the server.
    The kubelet swaps a Secret volume's files atomically, so a read sees the old or the new one."""
    cert = f"{TLS_DIR}/tls.crt"
    return (
        f'seen="$(cat {cert})"\n'
        "while true; do\n"
        f"  sleep {interval}\n"
        f'  now="$(cat {cert})" || continue\n'
        '  if [ "$now" != "$seen" ] && pid="$(pidof vault)"; then\n'
        '    kill -HUP $pid && seen="$now" && echo "tls.crt changed: sent SIGHUP to vault (pid $pid)"\n'
        "  fi\n"
        "done\n"
    )


def reloader_container() -> dict[str, Any]:
    """The sidecar that makes Vault reload a renewed certificate: restricted, read-only, small."""
    return {
        "name": RELOADER,
        "image": IMAGE,
        "command": ["/bin/sh", "-c", reloader_script()],
        "volumeMounts": [{"name": TLS_SECRET, "mountPath": TLS_DIR, "readOnly": True}],
        "securityContext": RESTRICTED_CONTAINER,
        "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
    }


def vault_values(
    config: PlatformConfig,
    placement: Placement,
    storage_class: str,
    seal: str | None,
    service_account_annotations: Mapping[str, str],
    pod_labels: Mapping[str, str],
) -> dict[str, Any]:
    n = replicas(config)
    server_resources = (
        {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
        if config.is_prod
        else {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    )
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule" if config.is_prod else "ScheduleAnyway",
            "labelSelector": {"matchLabels": {**SERVER_LABELS, "app.kubernetes.io/instance": "vault"}},
        }
    ]
    return {
        "global": {"tlsDisable": False},
        "injector": {
            "enabled": True,
            "replicas": 2 if config.is_prod else 1,
            "metrics": {"enabled": True},
            "nodeSelector": placement.node_selector,
            "tolerations": placement.tolerations,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "128Mi"}},
            "securityContext": {"pod": restricted_pod(user=100, group=1000), "container": RESTRICTED_CONTAINER},
        },
        "server": {
            "resources": server_resources,
            "nodeSelector": placement.node_selector,
            "tolerations": placement.tolerations,
            "topologySpreadConstraints": spread,
            "extraLabels": dict(pod_labels),
            "serviceAccount": {"annotations": dict(service_account_annotations)},
            "extraEnvironmentVars": {"VAULT_CACERT": f"{TLS_DIR}/ca.crt"},
            "readinessProbe": {"path": READINESS_PATH},
            "updateStrategyType": "RollingUpdate",
            # The reloader signals the server's process: both run as the pod's user (100).
            "shareProcessNamespace": True,
            "extraContainers": [reloader_container()],
            "volumes": [{"name": TLS_SECRET, "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}}],
            "volumeMounts": [{"name": TLS_SECRET, "mountPath": TLS_DIR, "readOnly": True}],
            # The chart writes the rendered config below /tmp at start, so the root filesystem
            # stays writable; everything else is the restricted profile.
            "statefulSet": {
                "securityContext": {
                    "pod": restricted_pod(user=100, group=1000),
                    "container": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": False},
                }
            },
            # A single node is always the active one: no standby Service that can never have endpoints.
            "service": {"standby": {"enabled": n > 1}},
            "dataStorage": {"enabled": True, "size": "10Gi", "storageClass": storage_class},
            "persistentVolumeClaimRetentionPolicy": pvc_retention(config),
            "auditStorage": {"enabled": audit_enabled(config), "size": "10Gi", "storageClass": storage_class},
            "standalone": {"enabled": False},
            "ha": {
                "enabled": True,
                "replicas": n,
                "raft": {"enabled": True, "setNodeId": True, "config": server_config(config, seal)},
                "disruptionBudget": {"enabled": True, "maxUnavailable": 1},
            },
        },
        "ui": {"enabled": False},
        "serverTelemetry": {
            "serviceMonitor": {
                "enabled": True,
                "tlsConfig": {"ca": {"secret": {"name": CA_SECRET, "key": "ca.crt"}}, "serverName": VAULT.host},
            }
        },
    }


def shamir_procedure(config: PlatformConfig) -> str:
    """What the operator does once (and after every restart) on a cluster without a KMS."""
    ns = VAULT_NAMESPACE
    return (
        f"Vault on this cluster unseals with Shamir keys (no cloud KMS). Once after the first `pulumi up`: "
        f"`kubectl -n {ns} exec vault-0 -- vault operator init -key-shares=5 -key-threshold=3` and keep the five "
        f"unseal keys and the root token apart, offline; then, after every restart of a Vault pod, run "
        f"`kubectl -n {ns} exec <pod> -- vault operator unseal` three times with three different keys on each "
        f"of the {replicas(config)} pod(s) vault-0 onwards. Then run README 'Vault bootstrap'."
    )


def bootstrap_commands(config: PlatformConfig) -> list[str]:
    """The one-time configuration after `vault operator init` (README "Vault"): Kubernetes auth,
    the KV mount, the read-only policy and role External Secrets logs in with, the audit device.

    Done by the operator rather than by pulumi-vault: Vault is reachable only from inside the
    cluster (and in prod the API server is private too), and a provider would need the root token
    in stack config. None of these commands carries a secret."""
    from ..addresses import EXTERNAL_SECRETS_NAMESPACE, SERVICES_NAMESPACE

    commands = [
        "vault auth enable kubernetes",
        # Inside the pod Vault reads the API server address and CA from its service account.
        'vault write auth/kubernetes/config kubernetes_host="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"',
        f"vault secrets enable -path={KV_MOUNT} -version=2 kv",
        f'vault policy write {ESO_ROLE} - <<< \'path "{KV_MOUNT}/data/{SERVICES_NAMESPACE}/*" '
        f'{{ capabilities = ["read"] }} path "{KV_MOUNT}/metadata/{SERVICES_NAMESPACE}/*" '
        '{ capabilities = ["read", "list"] }\'',
        f"vault write auth/kubernetes/role/{ESO_ROLE} bound_service_account_names=external-secrets "
        f"bound_service_account_namespaces={EXTERNAL_SECRETS_NAMESPACE} policies={ESO_ROLE} ttl=1h",
    ]
    if audit_enabled(config):
        commands.append(f"vault audit enable file file_path={AUDIT_LOG}")
    return commands
