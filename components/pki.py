"""The platform's private PKI: long-lived roots made by the program (pulumi-tls), short-lived
certificates issued and renewed from them by cert-manager.

- Roots (Vault's CA, Linkerd's trust anchor) are created here; their private keys are secret
  outputs, kept in Pulumi state and in the one `kubernetes.io/tls` Secret a namespaced
  cert-manager `Issuer` of type CA reads. A root changes only deliberately.
- Leaf and intermediate certificates (Vault's server certificate, Linkerd's identity issuer)
  are cert-manager `Certificate`s: cert-manager re-issues each `renewBefore` its expiry, on its
  own clock, into a Secret Pulumi does not declare. No `pulumi up` is needed to renew them, and
  a renewal changes no Pulumi resource (docs/ownership.md).
- Pulumi waits for every Issuer and Certificate to be Ready (`pulumi.com/waitFor`), so whatever
  mounts a Certificate's Secret is installed only once the Secret exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from .cluster import ClusterInfo
from .kube import MANAGED_BY

CA_USES = ["cert_signing", "crl_signing"]
# pulumi-kubernetes (>= 4.18) waits for this condition on a custom resource before the resources
# that depend on it are created; cert-manager sets Ready on an Issuer once it has read its CA,
# and on a Certificate once its Secret holds a valid certificate.
WAIT_READY = {"pulumi.com/waitFor": "condition=Ready"}


@dataclass(frozen=True)
class Certificate:
    cert_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]  # a secret output


def _key(name: str, curve: str, opts: pulumi.ResourceOptions) -> tls.PrivateKey:
    return tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve=curve, opts=opts)


def self_signed_ca(
    name: str,
    common_name: str,
    *,
    validity_hours: int,
    renewal_hours: int | None = None,
    curve: str = "P256",
    opts: pulumi.ResourceOptions,
) -> Certificate:
    """A root CA: `{name}-key` and the self-signed certificate `{name}`."""
    key = _key(name, curve, opts)
    cert = tls.SelfSignedCert(
        name,
        private_key_pem=key.private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=common_name, organization="store-platform"),
        is_ca_certificate=True,
        allowed_uses=CA_USES,
        validity_period_hours=validity_hours,
        early_renewal_hours=renewal_hours,
        opts=opts,
    )
    return Certificate(cert.cert_pem, key.private_key_pem)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate cert-manager issues from a CA Issuer and renews `renew_before_hours` before
    it expires. The Certificate and its Secret share `name`."""

    name: str
    namespace: str
    common_name: str
    duration_hours: int
    renew_before_hours: int
    usages: tuple[str, ...]
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    is_ca: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.renew_before_hours < self.duration_hours:
            raise ValueError(f"certificate {self.name}: renewBefore must be positive and shorter than its duration")


def certificate_spec(cert: IssuedCertificate, issuer: str) -> dict[str, Any]:
    """The Certificate's spec; a fresh key with every renewal."""
    spec: dict[str, Any] = {
        "secretName": cert.name,
        "commonName": cert.common_name,
        "duration": f"{cert.duration_hours}h0m0s",
        "renewBefore": f"{cert.renew_before_hours}h0m0s",
        "isCA": cert.is_ca,
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": list(cert.usages),
        "issuerRef": {"group": "cert-manager.io", "kind": "Issuer", "name": issuer},
        "secretTemplate": {"labels": {"app.kubernetes.io/managed-by": "cert-manager"}},
    }
    if cert.dns_names:
        spec["dnsNames"] = list(cert.dns_names)
    if cert.ip_addresses:
        spec["ipAddresses"] = list(cert.ip_addresses)
    return spec


def ca_issuer_spec(secret: str) -> dict[str, Any]:
    return {"ca": {"secretName": secret}}


def ca_issuer(
    name: str,
    ca: Certificate,
    *,
    issuer: str,
    namespace: k8s.core.v1.Namespace,
    cluster: ClusterInfo,
    cert_manager: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> k8s.apiextensions.CustomResource:
    """The root's key pair in the `kubernetes.io/tls` Secret `issuer` and the namespaced CA
    Issuer `issuer` reading it. `cert_manager`: the release installing cert-manager's CRDs and
    webhook (Helm waits for the webhook to be available, so the Issuer is admitted)."""
    opts = pulumi.ResourceOptions(parent=parent, provider=cluster.provider)
    secret = k8s.core.v1.Secret(
        f"{name}-secret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=issuer, namespace=namespace.metadata.name, labels=MANAGED_BY),
        type="kubernetes.io/tls",
        string_data={"tls.crt": ca.cert_pem, "tls.key": ca.private_key_pem},
        opts=opts,
    )
    return k8s.apiextensions.CustomResource(
        name,
        api_version="cert-manager.io/v1",
        kind="Issuer",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=issuer, namespace=namespace.metadata.name, labels=MANAGED_BY, annotations=WAIT_READY
        ),
        spec=ca_issuer_spec(issuer),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[secret, *cert_manager])),
    )


def issued_certificate(
    name: str,
    cert: IssuedCertificate,
    issuer: k8s.apiextensions.CustomResource,
    issuer_name: str,
    cluster: ClusterInfo,
    parent: pulumi.Resource,
) -> k8s.apiextensions.CustomResource:
    """The Certificate for `cert`, Ready (its Secret issued) before anything depending on it."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version="cert-manager.io/v1",
        kind="Certificate",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=cert.name, namespace=cert.namespace, labels=MANAGED_BY, annotations=WAIT_READY
        ),
        spec=certificate_spec(cert, issuer_name),
        opts=pulumi.ResourceOptions(parent=parent, provider=cluster.provider, depends_on=[issuer]),
    )
