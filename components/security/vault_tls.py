"""Vault's TLS: a private CA made by the program (pulumi-tls, five years) and a server certificate
cert-manager issues from it and renews on its own.

The CA's key pair sits in the `kubernetes.io/tls` Secret `vault-ca-issuer`, read by the namespaced
CA Issuer of the same name; the Certificate `vault-tls` (90 days, renewed 30 days before expiry,
every name of `server_dns_names()` and 127.0.0.1) writes the Secret the server pods mount.
The server pods' `tls-reloader` sidecar (vault.py) sends Vault SIGHUP when the mounted
certificate changes, which is when Vault rereads it. Clients (External Secrets, Prometheus) trust
the CA alone, from the `vault-ca` Secret. Expiry is alerted on (observability/alerting.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import VAULT, VAULT_NAMESPACE
from ..cluster import ClusterInfo
from ..kube import MANAGED_BY
from ..pki import IssuedCertificate, ca_issuer, issued_certificate, self_signed_ca
from .vault import CA_SECRET, TLS_SECRET

_YEAR = 365 * 24
CA_VALIDITY_HOURS = 5 * _YEAR
CA_RENEW_BEFORE_HOURS = 30 * 24  # re-issued by the first `up` in the CA's last 30 days
CA_ISSUER = "vault-ca-issuer"  # the Issuer and the Secret with the CA's key pair


def server_dns_names() -> list[str]:
    """Every name Vault is reached by: the Service, the active/standby Services and each Raft peer."""
    ns = VAULT_NAMESPACE
    names = [VAULT.service, f"{VAULT.service}-active", f"{VAULT.service}-standby", "*.vault-internal"]
    return [
        *(f"{n}.{ns}.svc{suffix}" for n in names for suffix in ("", ".cluster.local")),
        *names,
        f"{VAULT.service}.{ns}",
    ]


SERVER_CERTIFICATE = IssuedCertificate(
    name=TLS_SECRET,
    namespace=VAULT_NAMESPACE,
    common_name=VAULT.host,
    duration_hours=90 * 24,
    renew_before_hours=30 * 24,
    usages=("digital signature", "key encipherment", "server auth", "client auth"),
    dns_names=tuple(server_dns_names()),
    ip_addresses=("127.0.0.1",),  # the pods' own probes and the `vault` CLI inside the pod
)


@dataclass(frozen=True)
class VaultTls:
    server_certificate: k8s.apiextensions.CustomResource  # Ready once `vault-tls` holds a certificate
    ca_secret: k8s.core.v1.Secret  # ca.crt for clients


def vault_tls(
    name: str,
    cluster: ClusterInfo,
    namespace: k8s.core.v1.Namespace,
    cert_manager: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> VaultTls:
    ca = self_signed_ca(
        f"{name}-ca",
        "store-platform vault CA",
        validity_hours=CA_VALIDITY_HOURS,
        renewal_hours=CA_RENEW_BEFORE_HOURS,
        curve="P384",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    issuer = ca_issuer(
        f"{name}-ca-issuer",
        ca,
        issuer=CA_ISSUER,
        namespace=namespace,
        cluster=cluster,
        cert_manager=cert_manager,
        parent=parent,
    )
    server = issued_certificate(f"{name}-server-certificate", SERVER_CERTIFICATE, issuer, CA_ISSUER, cluster, parent)
    ca_secret = k8s.core.v1.Secret(
        f"{name}-ca-secret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=CA_SECRET, namespace=VAULT_NAMESPACE, labels=MANAGED_BY),
        string_data={"ca.crt": ca.cert_pem},
        opts=pulumi.ResourceOptions(parent=parent, provider=cluster.provider, depends_on=[namespace]),
    )
    return VaultTls(server, ca_secret)
