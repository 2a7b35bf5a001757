"""The program's own certificate authorities, as the render declares them."""

from tests.rendering import one, render


def test_vault_server_certificate_is_signed_by_its_ca_for_every_name_vault_answers_to():
    result = render("prod", "aws")
    request = one(result, "tls:index/certRequest:CertRequest", "vault-tls-server-request")["inputs"]
    assert "vault.vault.svc.cluster.local" in request["dnsNames"] and "*.vault-internal" in request["dnsNames"]
    cert = one(result, "tls:index/locallySignedCert:LocallySignedCert", "vault-tls-server")["inputs"]
    assert cert["isCaCertificate"] is False and "server_auth" in cert["allowedUses"]
    assert cert["caPrivateKeyPem"] == "[secret]"


def test_ca_keys_never_leave_pulumi_state_in_plain_text():
    result = render("prod", "aws")
    keys = [r for r in result.resources if r["type"] == "tls:index/privateKey:PrivateKey"]
    assert keys and all(r["inputs"]["algorithm"] == "ECDSA" for r in keys)
    signed = [r for r in result.resources if r["type"] == "tls:index/locallySignedCert:LocallySignedCert"]
    assert all(r["inputs"]["caPrivateKeyPem"] == "[secret]" for r in signed)
