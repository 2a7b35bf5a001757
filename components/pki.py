"""Private certificate authorities the program creates itself (pulumi-tls): Linkerd's identity
trust anchor and issuer, Vault's CA and server certificate. Private keys are secret outputs,
kept in Pulumi state and in the Kubernetes Secrets that use them, nowhere else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

CA_USES = ["cert_signing", "crl_signing"]


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


def signed_certificate(
    name: str,
    ca: Certificate,
    common_name: str,
    *,
    validity_hours: int,
    renewal_hours: int,
    allowed_uses: Sequence[str],
    intermediate_ca: bool = False,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    opts: pulumi.ResourceOptions,
) -> Certificate:
    """A certificate `{name}` signed by `ca`, re-issued by `pulumi up` within `renewal_hours` of
    expiry. An `intermediate_ca` may sign leaf certificates only (path length 0)."""
    key = _key(name, "P256", opts)
    request = tls.CertRequest(
        f"{name}-request",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(common_name=common_name, organization="store-platform"),
        dns_names=list(dns_names),
        ip_addresses=list(ip_addresses),
        opts=opts,
    )
    cert = tls.LocallySignedCert(
        name,
        cert_request_pem=request.cert_request_pem,
        ca_private_key_pem=ca.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        is_ca_certificate=intermediate_ca,
        max_path_length=0 if intermediate_ca else None,
        allowed_uses=list(allowed_uses),
        validity_period_hours=validity_hours,
        early_renewal_hours=renewal_hours,
        opts=opts,
    )
    return Certificate(cert.cert_pem, key.private_key_pem)
