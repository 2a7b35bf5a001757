"""The Security component's wiring: its namespaces, the real dependencies only, monitoring CRDs,
and NetworkPolicies for the namespaces other areas hand it."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from components.security import Security
from tests.rendering import one, render
from tests.security_fakes import FakeManagedCluster, config_for, declare, no_secrets

RELEASE = "kubernetes:helm.sh/v3:Release"


def _declared(**platform: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    config = config_for("prod", **platform)
    made: dict[str, Any] = {}

    def build() -> None:
        cluster = FakeManagedCluster("awskms")
        crds = k8s.core.v1.ConfigMap("monitoring-crds-stand-in", opts=None)
        argocd = k8s.core.v1.Namespace("argocd-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name="argocd"))
        made["security"] = Security(
            "sec", config, no_secrets(), cluster, {"argocd": argocd}, monitoring_crds=crds, cert_manager=crds
        )

    return declare(build), made


def _by_name(resources: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["name"].endswith(suffix)]
    return found


def test_component_exposes_its_namespaces() -> None:
    _, made = _declared()
    assert sorted(made["security"].namespaces) == ["external-secrets", "falco", "gatekeeper-system", "vault"]


def test_monitoring_objects_wait_for_the_monitoring_crds() -> None:
    resources, _ = _declared()
    crds = _by_name(resources, "monitoring-crds-stand-in")["urn"]
    for suffix in ("gatekeeper-pod-monitor", "gatekeeper-alerts", "sec-vault", "sec-falco", "sec-external-secrets"):
        assert crds in _by_name(resources, suffix)["dependencies"], suffix


def test_unrelated_add_ons_install_in_parallel() -> None:
    resources, _ = _declared()
    releases = {r["inputs"]["chart"]: r for r in resources if r["type"] == RELEASE}
    urns = {chart: r["urn"] for chart, r in releases.items()}
    for chart, r in releases.items():
        assert not set(r["dependencies"]) & (set(urns.values()) - {urns[chart]}), chart


def test_constraints_wait_for_their_template_and_templates_for_gatekeeper() -> None:
    resources, _ = _declared()
    gatekeeper = _by_name(resources, "sec-gatekeeper")["urn"]
    template = _by_name(resources, "template-k8sallowedrepos")
    constraint = _by_name(resources, "constraint-allowed-registries")
    assert gatekeeper in template["dependencies"]
    assert template["urn"] in constraint["dependencies"]


def test_vault_waits_for_its_server_certificate_and_ca_secret() -> None:
    resources, _ = _declared()
    vault = _by_name(resources, "sec-vault")
    assert _by_name(resources, "vault-tls-server-certificate")["urn"] in vault["dependencies"]
    assert _by_name(resources, "vault-tls-ca-secret")["urn"] in vault["dependencies"]


def test_vaults_ca_issuer_waits_for_cert_manager() -> None:
    resources, _ = _declared()
    issuer = _by_name(resources, "vault-tls-ca-issuer")
    assert _by_name(resources, "monitoring-crds-stand-in")["urn"] in issuer["dependencies"]  # the cert_manager stand-in
    assert issuer["inputs"]["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}


def test_namespaces_of_other_areas_get_their_network_policies() -> None:
    resources, _ = _declared()
    argocd = {
        r["inputs"]["metadata"]["name"]
        for r in resources
        if r["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
        and r["inputs"]["metadata"]["namespace"] == "argocd"
    }
    assert {"default-deny", "allow-dns", "allow-git", "allow-api-server"} <= argocd


def test_every_child_uses_the_cluster_provider() -> None:
    result = render("local")
    provider = one(result, "pulumi:providers:kubernetes")["urn"]
    security_children = [
        r for r in result.resources if "store-security" in r["name"] and r["type"].startswith("kubernetes:")
    ]
    assert security_children
    assert {r["provider"] for r in security_children} == {provider}


def test_external_secrets_and_vault_install_in_parallel() -> None:
    resources, _ = _declared()
    store = _by_name(resources, "cluster-secret-store")
    assert _by_name(resources, "sec-vault")["urn"] not in store["dependencies"]
    assert _by_name(resources, "vault-tls-ca-secret")["urn"] in store["dependencies"]


def test_prod_protects_the_vault_release() -> None:
    resources, _ = _declared()
    assert _by_name(resources, "sec-vault")["protect"] is True


def test_dev_leaves_vault_unprotected() -> None:
    assert one(render("dev", "existing"), RELEASE, "security-vault")["protect"] is False
