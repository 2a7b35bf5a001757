"""Vault: unseal configuration per cloud, Shamir on existing clusters, HA, TLS, audit."""

from __future__ import annotations

import re
from typing import Any

import pulumi_kubernetes as k8s
import pytest

from components.addresses import SERVICES_NAMESPACE, VAULT_NAMESPACE
from components.cluster import KmsKeyUse, Placement, ServiceAccountRef
from components.security import Security, vault
from components.security.vault_tls import server_dns_names
from tests.rendering import one, release, render
from tests.security_fakes import SEALS, FakeManagedCluster, config_for, declare, no_secrets

PLACEMENT = Placement(node_selector={"pool": "system"}, tolerations=[])


def _vault_release_on(seal_type: str) -> tuple[dict[str, Any], FakeManagedCluster]:
    config = config_for("prod")
    holder: dict[str, FakeManagedCluster] = {}

    def build() -> None:
        cluster = holder["cluster"] = FakeManagedCluster(seal_type)
        crds = k8s.core.v1.ConfigMap("monitoring-crds-stand-in")
        Security("sec", config, no_secrets(), cluster, namespaces={}, monitoring_crds=crds, cert_manager=crds)

    resources = declare(build)
    releases = [r for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"]
    vault_release = next(r["inputs"] for r in releases if r["inputs"]["chart"] == "vault")
    return vault_release, holder["cluster"]


@pytest.mark.parametrize("seal_type", sorted(SEALS))
def test_each_cloud_kms_becomes_the_seal_stanza(seal_type: str) -> None:
    values, _ = _vault_release_on(seal_type)
    hcl = values["values"]["server"]["ha"]["raft"]["config"]
    assert f'seal "{seal_type}"' in hcl
    for key, value in SEALS[seal_type].items():
        assert f'{key} = "{value}"' in hcl


def test_auto_unseal_reaches_the_key_through_workload_identity_of_the_vault_service_account() -> None:
    values, cluster = _vault_release_on("awskms")
    vault_identities = [i for i in cluster.identities if i.account == ServiceAccountRef(VAULT_NAMESPACE, "vault")]
    assert len(vault_identities) == 1
    assert [type(g) for g in vault_identities[0].grants] == [KmsKeyUse]
    server = values["values"]["server"]
    assert server["serviceAccount"]["annotations"] == {"example.com/identity": "vault-role"}
    assert server["extraLabels"] == {"example.com/use": "true"}


def test_seal_config_carries_no_static_credentials() -> None:
    values, _ = _vault_release_on("awskms")
    hcl = values["values"]["server"]["ha"]["raft"]["config"]
    assert not re.search(r"access_key|secret_key|client_secret|credentials", hcl)


def test_existing_cluster_falls_back_to_shamir_without_a_seal_stanza() -> None:
    values = release(render("local"), "vault")["values"]
    assert "seal " not in values["server"]["ha"]["raft"]["config"]


def test_shamir_procedure_names_init_and_unseal() -> None:
    text = vault.shamir_procedure(config_for("dev"))
    assert "vault operator init" in text and "vault operator unseal" in text


def test_prod_runs_three_raft_peers_that_join_each_other() -> None:
    config = config_for("prod")
    hcl = vault.server_config(config, None)
    assert vault.replicas(config) == 3
    assert all(f"https://vault-{i}.vault-internal:8200" in hcl for i in range(3))


def test_dev_runs_a_single_raft_peer() -> None:
    values = vault.vault_values(config_for("dev"), PLACEMENT, "gp3", None, {}, {})
    assert values["server"]["ha"] | {"raft": None} == {
        "enabled": True,
        "replicas": 1,
        "raft": None,
        "disruptionBudget": {"enabled": True, "maxUnavailable": 1},
    }


def test_prod_spreads_vault_across_zones_strictly() -> None:
    (spread,) = vault.vault_values(config_for("prod"), PLACEMENT, "gp3", None, {}, {})["server"][
        "topologySpreadConstraints"
    ]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["whenUnsatisfiable"] == "DoNotSchedule"


def test_tls_is_on_end_to_end() -> None:
    values = vault.vault_values(config_for("dev"), PLACEMENT, "gp3", None, {}, {})
    hcl = values["server"]["ha"]["raft"]["config"]
    assert values["global"]["tlsDisable"] is False
    assert "tls_disable" not in hcl
    assert 'tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"' in hcl


def test_server_certificate_covers_every_raft_peer_and_the_service() -> None:
    names = server_dns_names()
    assert "*.vault-internal" in names and "vault.vault.svc.cluster.local" in names


def test_only_the_ca_key_is_in_a_pulumi_secret_read_by_the_ca_issuer() -> None:
    secret = one(render("local"), "kubernetes:core/v1:Secret", "vault-tls-ca-issuer-secret")["inputs"]
    assert (secret["metadata"]["name"], secret["type"]) == ("vault-ca-issuer", "kubernetes.io/tls")
    assert secret["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
    issuer = one(render("local"), "kubernetes:cert-manager.io/v1:Issuer", "vault-tls-ca-issuer")["inputs"]
    assert issuer["spec"] == {"ca": {"secretName": "vault-ca-issuer"}}


def test_no_pulumi_resource_declares_the_server_certificates_secret() -> None:
    """cert-manager writes `vault-tls`; a Pulumi-declared copy would undo every renewal."""
    secrets = [r["inputs"]["metadata"]["name"] for r in render("local").resources if r["type"].endswith("v1:Secret")]
    assert "vault-tls" not in secrets and "vault-ca-issuer" in secrets


@pytest.mark.parametrize(("environment", "audited"), [("dev", False), ("staging", True), ("prod", True)])
def test_audit_storage_and_file_device_in_staging_and_prod(environment: str, audited: bool) -> None:
    config = config_for(environment)
    values = vault.vault_values(config, PLACEMENT, "gp3", None, {}, {})
    assert values["server"]["auditStorage"]["enabled"] is audited
    assert any("vault audit enable file" in c for c in vault.bootstrap_commands(config)) is audited


def test_bootstrap_binds_the_external_secrets_role_to_read_only_the_services_path() -> None:
    commands = "\n".join(vault.bootstrap_commands(config_for("prod")))
    assert "bound_service_account_names=external-secrets" in commands
    assert f'path "secret/data/{SERVICES_NAMESPACE}/*" {{ capabilities = ["read"] }}' in commands


def test_vault_pods_run_on_the_system_pool() -> None:
    values = vault.vault_values(config_for("dev"), PLACEMENT, "gp3", None, {}, {})
    assert values["server"]["nodeSelector"] == values["injector"]["nodeSelector"] == {"pool": "system"}


def test_vault_metrics_are_scraped_over_tls_with_the_vault_ca() -> None:
    monitor = vault.vault_values(config_for("dev"), PLACEMENT, "gp3", None, {}, {})["serverTelemetry"]["serviceMonitor"]
    assert monitor["enabled"] is True
    assert monitor["tlsConfig"]["ca"]["secret"] == {"name": "vault-ca", "key": "ca.crt"}


def test_an_uninitialised_vault_is_ready_so_the_first_install_completes() -> None:
    path = vault.vault_values(config_for("dev"), PLACEMENT, "gp3", None, {}, {})["server"]["readinessProbe"]["path"]
    assert "uninitcode=204" in path and "standbyok=true" in path


def test_a_sealed_vault_is_not_ready_so_a_rolling_restart_stops_at_it() -> None:
    path = vault.vault_values(config_for("prod"), PLACEMENT, "gp3", None, {}, {})["server"]["readinessProbe"]["path"]
    assert "sealedcode" not in path  # sealed answers 503: not Ready


def test_vault_pods_roll_one_at_a_time_within_the_disruption_budget() -> None:
    server = vault.vault_values(config_for("prod"), PLACEMENT, "gp3", None, {}, {})["server"]
    assert server["updateStrategyType"] == "RollingUpdate"
    assert server["ha"]["disruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
