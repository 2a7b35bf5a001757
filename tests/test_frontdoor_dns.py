"""external-dns: owns the platform hosts' records in the stack's zone with a TXT registry, never
deletes in prod, signs in by workload identity on each cloud, and is absent on local."""

from __future__ import annotations

from typing import Any

import pytest

from components.cluster import Placement
from components.config import load_config
from components.frontdoor import external_dns
from tests.rendering import of_type, one, release, render

SYSTEM = Placement({"store-platform/pool": "system"}, [])
ZONE = {"zone_id": "zone-1", "tenant_id": "t", "subscription_id": "s", "resource_group": "rg"}


def values(stack: str, cloud: str = "aws", **platform: Any) -> dict[str, Any]:
    config = load_config({"cloud": cloud, **platform}, stack)
    return external_dns.external_dns_values(config, SYSTEM, {}, {}, ZONE)


def test_prod_only_adds_and_updates_records():
    assert values("prod")["policy"] == "upsert-only"


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_outside_prod_records_of_removed_hosts_go(stack):
    assert values(stack)["policy"] == "sync"


def test_records_are_owned_through_a_txt_registry_per_stack():
    found = values("staging")
    assert (found["registry"], found["txtOwnerId"]) == ("txt", "acme-store-staging")


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_only_the_stacks_zone_is_managed(cloud):
    found = values("dev", cloud)
    assert found["domainFilters"] == ["dev.acme.example"]
    if cloud != "azure":
        assert "--zone-id-filter=zone-1" in found["extraArgs"]


@pytest.mark.parametrize(("cloud", "provider"), [("aws", "aws"), ("gcp", "google"), ("azure", "azure")])
def test_the_provider_is_the_clouds_dns_service(cloud, provider):
    assert values("prod", cloud)["provider"] == {"name": provider}


def test_azure_config_carries_no_credential_and_uses_workload_identity():
    text = external_dns.azure_config(ZONE)
    assert '"useWorkloadIdentityExtension": true' in text
    assert "aadClientSecret" not in text


def test_hosts_are_read_from_istio_gateways():
    assert values("prod")["sources"] == ["istio-gateway"]


# --- rendered under mocks -------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_external_dns_is_installed_with_a_workload_identity_on_every_cloud(cloud):
    found = release(render("prod", cloud), "external-dns")["values"]
    assert found["serviceAccount"]["annotations"]


def test_local_has_no_dns():
    assert not [
        r
        for r in of_type(render("local", "existing"), "kubernetes:helm.sh/v3:Release")
        if r["inputs"]["chart"] == "external-dns"
    ]


def test_on_gcp_external_dns_may_only_read_the_project_zones_list_beyond_its_zone():
    result = render("prod", "gcp")
    lister = one(result, "gcp:projects/iAMCustomRole:IAMCustomRole", "external-dns-identity-dns-0-lister")
    assert lister["inputs"]["permissions"] == ["dns.managedZones.list"]


def test_the_gateway_host_is_a_record_external_dns_owns():
    from components.frontdoor import platform_hosts
    from tests.rendering import full_platform

    platform = full_platform("prod", "aws")
    gateway = next(o for o in platform.objects.of_kind("Gateway") if o.group == "networking.istio.io")
    hosts = {h for server in gateway.spec["servers"] for h in server["hosts"]}
    domain = load_config({}, "prod").dns.domain
    assert hosts == {platform_hosts(load_config({}, "prod"))[0].name}
    assert all(h.endswith(domain) for h in hosts)
