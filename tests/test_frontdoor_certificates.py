"""cert-manager and the platform hosts' certificates: pure values, then every stack rendered
under mocks (issuer per environment, DNS-01 per cloud, IAM on the zone only), then the service
chart's gateway as verify renders it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster import Placement
from components.cluster.eks.iam import dns_records_statements
from components.config import load_config
from components.frontdoor import cert_manager, platform_hosts
from tests.rendering import STACKS_ON_CLOUDS, of_type, one, release, render

SYSTEM = Placement({"store-platform/pool": "system"}, [{"key": "store-platform/pool", "operator": "Equal"}])


def config(stack: str, cloud: str | None = None) -> Any:
    return load_config({"cloud": cloud} if cloud else {}, stack)


def manifests_of_kind(result: Any, kind: str) -> list[dict[str, Any]]:
    return [m for m in result.manifests.values() if m.get("kind") == kind]


# --- pure values ----------------------------------------------------------------------------


def test_prod_issues_from_lets_encrypt():
    spec = cert_manager.cluster_issuer_spec(config("prod"), {"zone_id": "Z1"})
    assert spec["acme"]["server"] == cert_manager.LETS_ENCRYPT


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_outside_prod_the_acme_staging_directory_issues(stack):
    spec = cert_manager.cluster_issuer_spec(config(stack), {"zone_id": "Z1"})
    assert spec["acme"]["server"] == cert_manager.LETS_ENCRYPT_STAGING


def test_an_existing_cluster_without_a_zone_gets_a_self_signed_issuer():
    assert cert_manager.cluster_issuer_spec(config("local"), None) == {"selfSigned": {}}
    assert cert_manager.issuer_name(config("local")) == "self-signed"


@pytest.mark.parametrize(("cloud", "provider"), [("aws", "route53"), ("gcp", "cloudDNS"), ("azure", "azureDNS")])
def test_dns01_goes_through_the_clouds_dns_service_for_the_stacks_zone_only(cloud, provider):
    zone = {"zone_id": "zone", "resource_group": "rg", "subscription_id": "sub", "client_id": "client"}
    solver = cert_manager.dns01_solver(config("prod", cloud), zone)
    assert list(solver["dns01"]) == [provider]
    assert solver["selector"] == {"dnsZones": ["acme.example"]}


def test_azure_dns01_names_the_workload_identity_it_signs_in_with():
    zone = {"zone_id": "acme.example", "resource_group": "rg", "subscription_id": "sub", "client_id": "client"}
    azure = cert_manager.dns01_solver(config("prod", "azure"), zone)["dns01"]["azureDNS"]
    assert azure["managedIdentity"] == {"clientID": "client"}
    assert "clientSecretSecretRef" not in azure


def test_cert_manager_installs_its_crds_and_places_every_component_on_the_system_pool():
    values = cert_manager.cert_manager_values(config("prod"), SYSTEM, {}, {})
    assert values["crds"]["enabled"] is True
    for component in (values, values["webhook"], values["cainjector"]):
        assert component["nodeSelector"] == SYSTEM.node_selector
        assert component["tolerations"] == SYSTEM.tolerations


def test_cert_manager_is_highly_available_in_prod_only():
    prod = cert_manager.cert_manager_values(config("prod"), SYSTEM, {}, {})
    dev = cert_manager.cert_manager_values(config("dev"), SYSTEM, {}, {})
    assert (prod["replicaCount"], prod["webhook"]["podDisruptionBudget"]["enabled"]) == (2, True)
    assert (dev["replicaCount"], dev["webhook"]["podDisruptionBudget"]["enabled"]) == (1, False)


def test_cert_manager_elects_its_leader_in_its_own_namespace_not_kube_system():
    values = cert_manager.cert_manager_values(config("dev"), SYSTEM, {}, {})
    assert values["global"]["leaderElection"]["namespace"] == "cert-manager"


def test_every_platform_host_is_under_the_stacks_zone():
    hosts = platform_hosts(config("staging"))
    assert [h.role for h in hosts] == ["store", "argocd", "grafana"]
    assert all(h.name.endswith(".staging.acme.example") for h in hosts)


def test_route53_grant_changes_only_txt_records_of_the_one_zone():
    statements = dns_records_statements("Z123", ("TXT",))
    change = next(s for s in statements if "route53:ChangeResourceRecordSets" in s["Action"])
    assert change["Resource"] == "arn:aws:route53:::hostedzone/Z123"
    assert change["Condition"]["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"] == ["TXT"]
    assert all(
        s["Resource"] in ("*", "arn:aws:route53:::change/*")
        for s in statements
        if s is not change and "route53:ListResourceRecordSets" not in s["Action"]
    )


# --- rendered under mocks -------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "cloud"), STACKS_ON_CLOUDS)
def test_every_platform_host_gets_a_certificate_from_the_cluster_issuer_beside_the_gateway(stack, cloud):
    result = render(stack, cloud)
    issuers = manifests_of_kind(result, "ClusterIssuer")
    assert len(issuers) == 1
    internal = {"vault-tls", "linkerd-identity-issuer"}  # from the platform's own CAs (components/pki.py)
    certificates = [c for c in manifests_of_kind(result, "Certificate") if c["metadata"]["name"] not in internal]
    hosts = platform_hosts(config(stack, cloud if cloud != "existing" else None))
    assert sorted(c["spec"]["dnsNames"][0] for c in certificates) == sorted(h.name for h in hosts)
    for certificate in certificates:
        assert certificate["metadata"]["namespace"] == "istio-ingress"
        assert certificate["spec"]["issuerRef"] == {
            "group": "cert-manager.io",
            "kind": "ClusterIssuer",
            "name": issuers[0]["metadata"]["name"],
        }


@pytest.mark.parametrize(
    ("cloud", "zone_type"),
    [("aws", "aws:route53/zone:Zone"), ("gcp", "gcp:dns/managedZone:ManagedZone"), ("azure", "azure-native:dns:Zone")],
)
def test_the_stacks_zone_is_created_on_each_cloud_and_protected_in_prod(cloud, zone_type):
    assert one(render("prod", cloud), zone_type)["protect"] is True
    assert one(render("dev", cloud), zone_type)["protect"] is False


def test_local_has_no_cloud_zone_and_no_acme():
    result = render("local", "existing")
    assert not [r for r in result.resources if "zone" in r["type"].lower()]
    assert "acme" not in manifests_of_kind(result, "ClusterIssuer")[0]["spec"]


def test_cert_manager_uses_its_irsa_role_on_aws():
    values = release(render("prod", "aws"), "cert-manager")["values"]
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


def test_cert_manager_identity_on_aws_may_change_txt_records_only():
    policies = [
        json.loads(p["inputs"]["policy"])
        for p in of_type(render("prod", "aws"), "aws:iam/rolePolicy:RolePolicy")
        if "cert-manager" in p["name"]
    ]
    assert len(policies) == 1
    change = next(s for s in policies[0]["Statement"] if s["Action"] == ["route53:ChangeResourceRecordSets"])
    assert change["Condition"]["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"] == ["TXT"]


def test_cert_manager_identity_on_gcp_is_granted_on_the_zone_not_the_project():
    result = render("prod", "gcp")
    member = one(result, "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "cert-manager-identity-dns-0")
    zone = one(result, "gcp:dns/managedZone:ManagedZone")
    assert member["inputs"]["managedZone"] == zone["inputs"]["name"]
    assert not [r for r in of_type(result, "gcp:projects/iAMMember:IAMMember") if "cert-manager" in r["name"]]


def test_cert_manager_identity_on_azure_is_scoped_to_the_zone():
    result = render("prod", "azure")
    grants = [
        r for r in of_type(result, "azure-native:authorization:RoleAssignment") if "cert-manager-identity" in r["name"]
    ]
    assert len(grants) == 1
    assert grants[0]["inputs"]["scope"].endswith("/providers/Microsoft.Network/dnsZones/acme.example")
    labels = release(result, "cert-manager")["values"]["podLabels"]
    assert labels == {"azure.workload.identity/use": "true"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_public_gateway_serves_the_certificate_the_platform_issues(stack, tmp_path):
    from tests.rendering import full_platform

    platform = full_platform(stack, "aws")
    gateways = [o for o in platform.objects.of_kind("Gateway") if o.group == "networking.istio.io"]
    assert len(gateways) == 1
    https = [s for s in gateways[0].spec["servers"] if s["port"]["number"] == 443]
    store = platform_hosts(config(stack, "aws"))[0]
    assert https[0]["hosts"] == [store.name]
    assert https[0]["tls"]["credentialName"] == store.tls_secret


# --- config ---------------------------------------------------------------------------------


def _problems(raw: Any, stack: str = "dev") -> list[str]:
    from components.config import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(raw, stack)
    return [str(p) for p in e.value.problems]


def test_a_zone_name_with_a_scheme_is_one_error_naming_the_key_and_the_fix():
    [problem] = _problems({"dns": {"domain": "https://dev.acme.example"}})
    assert "dns.domain" in problem and "write it like dev.acme.example" in problem


def test_argocd_outside_the_stacks_zone_is_one_error_naming_the_key_and_the_fix():
    [problem] = _problems({"dns": {"domain": "dev.store.example"}})
    assert "gitops.domain" in problem and "argocd.dev.store.example" in problem


def test_verify_splits_documents_like_helm_when_a_comment_follows_the_separator():
    from store_platform_tools.verify.fullrender import parse_manifests

    text = "kind: A\nmetadata: {name: a}\n---# the next one\nkind: B\nmetadata: {name: b}\n"
    assert [o.kind for o in parse_manifests(text, "test", "rbac.yaml")] == ["A", "B"]
