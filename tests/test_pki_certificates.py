"""The platform's private PKI: cert-manager Certificates from Pulumi-made roots, their lifetimes,
and the alerts that cover them."""

from __future__ import annotations

import re
import tarfile

import pytest
import yaml

from components.catalogue import chart_for
from components.cluster import Placement
from components.mesh.linkerd import ISSUER_CERTIFICATE
from components.observability import alerting
from components.pki import IssuedCertificate, certificate_spec
from components.security import vault
from components.security.vault_tls import SERVER_CERTIFICATE, server_dns_names
from tests.rendering import chart_archives, config_of

PLATFORM_CERTIFICATES = [SERVER_CERTIFICATE, ISSUER_CERTIFICATE]
HOUR = 3600


def _duration(text: str) -> int:
    match = re.fullmatch(r"(\d+)h0m0s", text)
    assert match, text
    return int(match.group(1))


@pytest.mark.parametrize("cert", PLATFORM_CERTIFICATES, ids=lambda c: c.name)
def test_renewal_is_due_well_before_expiry(cert: IssuedCertificate) -> None:
    spec = certificate_spec(cert, "ca")
    duration, renew_before = _duration(spec["duration"]), _duration(spec["renewBefore"])
    assert 0 < renew_before < duration
    # At least one renewal attempt a day for a day before expiry: a failed one is retried in time.
    assert renew_before >= 24


def test_a_certificate_renewed_no_earlier_than_its_expiry_is_refused() -> None:
    with pytest.raises(ValueError, match="renewBefore"):
        IssuedCertificate("x", "ns", "x", duration_hours=24, renew_before_hours=24, usages=())


def test_vault_server_certificate_names_every_address_and_localhost() -> None:
    spec = certificate_spec(SERVER_CERTIFICATE, "vault-ca-issuer")
    assert spec["secretName"] == vault.TLS_SECRET
    assert spec["dnsNames"] == server_dns_names()
    assert spec["ipAddresses"] == ["127.0.0.1"]
    assert spec["isCA"] is False and "server auth" in spec["usages"]
    assert (_duration(spec["duration"]), _duration(spec["renewBefore"])) == (90 * 24, 30 * 24)


def test_linkerd_issuer_follows_linkerds_documented_lifetimes() -> None:
    spec = certificate_spec(ISSUER_CERTIFICATE, "linkerd-trust-anchor")
    assert (spec["duration"], spec["renewBefore"], spec["isCA"]) == ("48h0m0s", "25h0m0s", True)


def test_every_renewal_rotates_the_key() -> None:
    for cert in PLATFORM_CERTIFICATES:
        assert certificate_spec(cert, "ca")["privateKey"]["rotationPolicy"] == "Always"


# --- alerts ---------------------------------------------------------------------------------


def _rules() -> dict[str, dict[str, object]]:
    (group,) = alerting.certificate_alerts()["groups"]
    return {rule["alert"]: rule for rule in group["rules"]}


def test_expiry_alerts_fire_30_and_7_days_before_expiry() -> None:
    rules = _rules()
    warning, critical = rules["CertificateExpiresIn30Days"], rules["CertificateExpiresIn7Days"]
    assert "< 30 * 86400" in str(warning["expr"]) and warning["labels"] == {"severity": "warning"}
    assert "< 7 * 86400" in str(critical["expr"]) and critical["labels"] == {"severity": "critical"}


def test_expiry_alerts_read_cert_managers_expiry_metric_and_wait_for_a_missed_renewal() -> None:
    for name in ("CertificateExpiresIn30Days", "CertificateExpiresIn7Days"):
        expr = str(_rules()[name]["expr"])
        assert "certmanager_certificate_expiration_timestamp_seconds" in expr
        assert "certmanager_certificate_renewal_timestamp_seconds < time()" in expr


def test_a_certificate_not_ready_alerts() -> None:
    rule = _rules()["CertificateNotReady"]
    assert 'certmanager_certificate_ready_status{condition!="True"}' in str(rule["expr"])


def _fires(rule_days: int, cert: IssuedCertificate, hours_before_expiry: float, renewed: bool) -> bool:
    """The expiry rule evaluated for `cert` at `hours_before_expiry`: renewed means cert-manager
    issued the successor on time (so the metric shows the new certificate's expiry)."""
    expires_in = cert.duration_hours if renewed else hours_before_expiry
    renewal_overdue = expires_in <= cert.renew_before_hours
    return expires_in * HOUR < rule_days * 86400 and renewal_overdue


@pytest.mark.parametrize("cert", PLATFORM_CERTIFICATES, ids=lambda c: c.name)
def test_alerts_stay_silent_while_renewals_succeed(cert: IssuedCertificate) -> None:
    for hours in range(1, cert.duration_hours):
        assert not _fires(30, cert, hours, renewed=hours <= cert.renew_before_hours)


@pytest.mark.parametrize("cert", PLATFORM_CERTIFICATES, ids=lambda c: c.name)
def test_a_failed_renewal_alerts_before_expiry(cert: IssuedCertificate) -> None:
    # Both rules fire once renewal is overdue and the certificate is inside their window.
    assert _fires(30, cert, min(cert.renew_before_hours - 1, 30 * 24 - 1), renewed=False)
    assert _fires(7, cert, min(cert.renew_before_hours - 1, 7 * 24 - 1), renewed=False)


# --- the Vault reloader --------------------------------------------------------------------


def test_reloader_watches_the_mounted_certificate_and_signals_vault() -> None:
    script = vault.reloader_script()
    assert f"{vault.TLS_DIR}/tls.crt" in script
    assert "kill -HUP" in script and "pidof vault" in script


def test_reloader_shares_the_vault_pods_process_namespace_and_mount() -> None:
    placement = Placement(node_selector={}, tolerations=[])
    server = vault.vault_values(config_of("prod", "aws"), placement, "gp3", None, {}, {})["server"]
    (reloader,) = server["extraContainers"]
    assert server["shareProcessNamespace"] is True
    assert reloader["volumeMounts"] == [{"name": vault.TLS_SECRET, "mountPath": vault.TLS_DIR, "readOnly": True}]
    assert reloader["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert reloader["securityContext"]["readOnlyRootFilesystem"] is True


def test_reloader_runs_the_image_the_vault_chart_runs() -> None:
    """A chart bump that moves Vault's image fails here until vault.IMAGE follows it."""
    chart = chart_for("vault", config_of("prod", "aws"))
    with tarfile.open(chart_archives() / f"vault-{chart.version}.tgz") as archive:
        member = archive.extractfile("vault/values.yaml")
        assert member is not None
        image = yaml.safe_load(member)["server"]["image"]
    assert f"{image['repository']}:{image['tag']}" == vault.IMAGE
