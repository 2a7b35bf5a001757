"""The program's own certificate authorities, as the render declares them."""

from tests.rendering import one, render


def test_vault_server_certificate_is_issued_from_its_ca_for_every_name_vault_answers_to():
    result = render("prod", "aws")
    spec = one(result, "kubernetes:cert-manager.io/v1:Certificate", "vault-tls-server-certificate")["inputs"]["spec"]
    assert "vault.vault.svc.cluster.local" in spec["dnsNames"] and "*.vault-internal" in spec["dnsNames"]
    assert spec["isCA"] is False and "server auth" in spec["usages"]
    assert spec["issuerRef"] == {"group": "cert-manager.io", "kind": "Issuer", "name": "vault-ca-issuer"}
    issuer = one(result, "kubernetes:cert-manager.io/v1:Issuer", "vault-tls-ca-issuer")["inputs"]
    assert issuer["metadata"]["namespace"] == "vault"


def test_ca_keys_never_leave_pulumi_state_in_plain_text():
    result = render("prod", "aws")
    keys = [r for r in result.resources if r["type"] == "tls:index/privateKey:PrivateKey"]
    assert keys and all(r["inputs"]["algorithm"] == "ECDSA" for r in keys)
    roots = [r for r in result.resources if r["type"] == "tls:index/selfSignedCert:SelfSignedCert"]
    assert roots and all(r["inputs"]["privateKeyPem"] == "[secret]" for r in roots)
    ca_secret = one(result, "kubernetes:core/v1:Secret", "vault-tls-ca-issuer-secret")["inputs"]
    assert ca_secret["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
