"""pulumi-tls offline: keys and certificates as stable, obviously fake PEM text (the real provider
generates them at `pulumi up`; keys stay secret in state)."""

from __future__ import annotations

from typing import Any

from ..mocks import computed_outputs


def _pem(kind: str, name: str) -> str:
    return f"-----BEGIN {kind}-----\nmock-{name}\n-----END {kind}-----\n"


@computed_outputs("tls:index/privateKey:PrivateKey")
def _private_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"privateKeyPem": _pem("PRIVATE KEY", name), "publicKeyPem": _pem("PUBLIC KEY", name)}


@computed_outputs("tls:index/selfSignedCert:SelfSignedCert")
def _self_signed(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"certPem": _pem("CERTIFICATE", name)}


@computed_outputs("tls:index/certRequest:CertRequest")
def _request(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"certRequestPem": _pem("CERTIFICATE REQUEST", name)}


@computed_outputs("tls:index/locallySignedCert:LocallySignedCert")
def _signed(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"certPem": _pem("CERTIFICATE", name)}
