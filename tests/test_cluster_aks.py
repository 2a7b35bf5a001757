"""The AKS cluster under mocks: each hardening setting of the issue, prod against the other
environments, tags, the facilities add-ons use, the stack outputs and preview parity."""

from __future__ import annotations

import base64
import functools
import importlib
import inspect
import ipaddress
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.sync_await import _sync_await

from components.cluster.aks import AksCluster
from components.cluster.aks.kubeconfig import AKS_SERVER_APP_ID, endpoint_of, kubeconfig
from components.cluster.aks.network import api_server_subnet_prefix
from components.cluster.info import (
    SYSTEM_POOL_LABEL,
    BucketReadWrite,
    KmsKeyUse,
    SecretsRead,
    ServiceAccountRef,
)
from components.cluster.pool_versions import REPLACED_BY
from components.config import ConfigError, load_config
from store_platform_tools.cloud_mocks.azure import SUBSCRIPTION_ID, TENANT_ID
from store_platform_tools.mocks import COMPUTED, PlatformMocks, RecordingMonitor, fake_id
from tests.rendering import of_type, one, render, render_with

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
KEY = "azure-native:keyvault:Key"
VAULT = "azure-native:keyvault:Vault"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
STANDARD_TAGS = {"project": "acme-store", "managed-by": "pulumi"}


def cluster_of(stack: str) -> dict[str, Any]:
    return one(render(stack, "azure"), CLUSTER)["inputs"]


def pools_of(stack: str) -> list[dict[str, Any]]:
    """The versioned system and workloads pools, in that order."""
    result = render(stack, "azure")
    return [one(result, AGENT_POOL, "system-pool")["inputs"], one(result, AGENT_POOL, "workload-pool")["inputs"]]


def by_name(stack: str, name: str) -> dict[str, Any]:
    found = [r for r in render(stack, "azure").resources if r["name"] == name]
    assert len(found) == 1, name
    return found[0]


def resource_id(result_resource: dict[str, Any]) -> str:
    """The mock id of a resource, as other resources' inputs reference it: the ARM id the mocks
    compute where they do (Key Vault keys), else the generic fake id."""
    computed = COMPUTED.get(result_resource["type"])
    arm_id = computed(result_resource["name"], result_resource["inputs"]).get("id") if computed else None
    return arm_id or fake_id(result_resource["type"], result_resource["name"])


# --- identity and access -------------------------------------------------------------------------


def test_local_accounts_are_disabled():
    assert cluster_of("dev")["disableLocalAccounts"] is True


def test_entra_id_with_azure_rbac_in_the_deployers_tenant():
    aad = cluster_of("dev")["aadProfile"]
    assert aad == {"managed": True, "enableAzureRBAC": True, "tenantID": TENANT_ID}


DEPLOYER = "5b0c8e1e-1111-4222-8333-944455556666"
ADMINS_GROUP = "7c1d9f2f-2222-4333-8444-a55566667777"


def test_configured_deployer_administers_the_cluster_through_azure_rbac(tmp_path):
    result = render_with("dev", tmp_path, {"cluster": {"deployer": f"servicePrincipal:{DEPLOYER}"}}, cloud="azure")
    grant = one(result, ROLE_ASSIGNMENT, "deployer-access")["inputs"]
    assert grant["principalId"] == DEPLOYER and grant["principalType"] == "ServicePrincipal"
    assert grant["roleDefinitionId"].endswith(AKS_RBAC_CLUSTER_ADMIN)
    assert grant["scope"] == resource_id(one(result, "azure-native:resources:ResourceGroup"))


def test_configured_admin_group_gets_cluster_admin_as_a_group(tmp_path):
    result = render_with("dev", tmp_path, {"cluster": {"admins": [f"group:{ADMINS_GROUP}"]}}, cloud="azure")
    grants = [r["inputs"] for r in of_type(result, ROLE_ASSIGNMENT) if r["inputs"]["principalId"] == ADMINS_GROUP]
    assert [(g["principalType"], g["roleDefinitionId"].rsplit("/", 1)[-1]) for g in grants] == [
        ("Group", AKS_RBAC_CLUSTER_ADMIN)
    ]


def test_oidc_issuer_and_workload_identity_are_enabled():
    cluster = cluster_of("dev")
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_control_plane_runs_as_a_user_assigned_identity():
    result = render("dev", "azure")
    identity = by_name("dev", "store-cluster-identity")
    assert cluster_of("dev")["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [resource_id(identity)]}
    assert identity["urn"] in one(result, CLUSTER)["dependencies"]


# --- KMS -----------------------------------------------------------------------------------------


def test_etcd_secrets_are_encrypted_with_a_version_of_the_key_vault_key():
    kms = cluster_of("dev")["securityProfile"]["azureKeyVaultKms"]
    key = by_name("dev", "store-cluster-etcd-key")["inputs"]
    assert kms["enabled"] is True
    assert kms["keyId"].startswith(f"https://{key['vaultName']}.vault.azure.net/keys/{key['keyName']}/")
    assert key["properties"]["kty"] == "RSA"


def test_kms_key_vault_is_public_without_a_firewall_as_aks_requires():
    kms = cluster_of("prod")["securityProfile"]["azureKeyVaultKms"]
    vault = one(render("prod", "azure"), VAULT)["inputs"]["properties"]
    assert kms["keyVaultNetworkAccess"] == "Public"
    assert vault["publicNetworkAccess"] == "Enabled"
    assert vault["networkAcls"]["defaultAction"] == "Allow"
    assert "ipRules" not in vault["networkAcls"]


def test_cluster_identity_may_use_the_etcd_key_before_the_cluster_starts():
    result = render("dev", "azure")
    grant = one(result, ROLE_ASSIGNMENT, "kms-access")
    assert grant["inputs"]["roleDefinitionId"].endswith(KEY_VAULT_CRYPTO_USER)
    assert grant["inputs"]["scope"] == resource_id(by_name("dev", "store-cluster-etcd-key"))
    assert grant["inputs"]["principalType"] == "ServicePrincipal"
    assert grant["urn"] in one(result, CLUSTER)["dependencies"]


def test_key_vault_authorizes_by_azure_rbac():
    assert one(render("dev", "azure"), VAULT)["inputs"]["properties"]["enableRbacAuthorization"] is True


def test_only_prod_key_vault_has_purge_protection():
    assert one(render("prod", "azure"), VAULT)["inputs"]["properties"]["enablePurgeProtection"] is True
    assert "enablePurgeProtection" not in one(render("dev", "azure"), VAULT)["inputs"]["properties"]


# --- network -------------------------------------------------------------------------------------


def test_azure_cni_overlay_with_cilium_network_policy():
    network = cluster_of("dev")["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    assert (network["networkPolicy"], network["networkDataplane"]) == ("cilium", "cilium")


def test_overlay_ranges_stay_outside_the_vnet():
    network = cluster_of("staging")["networkProfile"]
    vnet = ipaddress.ip_network("10.30.0.0/16")
    assert not vnet.overlaps(ipaddress.ip_network(network["podCidr"]))
    assert not vnet.overlaps(ipaddress.ip_network(network["serviceCidr"]))
    assert ipaddress.ip_address(network["dnsServiceIP"]) in ipaddress.ip_network(network["serviceCidr"])


def test_node_subnets_lie_in_the_configured_vnet_without_default_outbound_access():
    result = render("staging", "azure")
    vnet = one(result, "azure-native:network:VirtualNetwork")["inputs"]
    assert vnet["addressSpace"]["addressPrefixes"] == ["10.30.0.0/16"]
    subnets = of_type(result, "azure-native:network:Subnet")
    assert len(subnets) == 2  # the public deploy path needs no API server subnet
    for subnet in subnets:
        assert ipaddress.ip_network(subnet["inputs"]["addressPrefix"]).subnet_of(ipaddress.ip_network("10.30.0.0/16"))
        assert subnet["inputs"]["defaultOutboundAccess"] is False


def test_each_pool_has_its_own_subnet():
    subnets = {pool["vnetSubnetID"] for pool in pools_of("dev")}
    assert subnets == {resource_id(s) for s in of_type(render("dev", "azure"), "azure-native:network:Subnet")}


def test_prod_api_server_sits_in_the_vnet_and_admits_only_the_deployers_publicly(tmp_path):
    result = render_with("prod", tmp_path, {"cluster": {"deployerNetworks": ["198.51.100.7/32"]}}, cloud="azure")
    access = one(result, CLUSTER)["inputs"]["apiServerAccessProfile"]
    subnet = one(result, "azure-native:network:Subnet", "api-server-subnet")
    assert access == {
        "enableVnetIntegration": True,
        "subnetId": resource_id(subnet),
        "enablePrivateCluster": False,
        "authorizedIPRanges": ["198.51.100.7/32"],
    }


def test_api_server_subnet_is_delegated_to_aks_in_the_free_quarter():
    subnet = one(render("prod", "azure"), "azure-native:network:Subnet", "api-server-subnet")["inputs"]
    assert subnet["delegations"] == [
        {"name": "aks-api-server", "serviceName": "Microsoft.ContainerService/managedClusters"}
    ]
    assert subnet["addressPrefix"] == api_server_subnet_prefix("10.40.0.0/16") == "10.40.128.0/28"


def test_public_path_declares_no_api_server_subnet():
    assert not [s for s in of_type(render("dev", "azure"), "azure-native:network:Subnet") if "api-server" in s["name"]]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_non_prod_api_server_admits_only_the_authorized_public_ranges(stack, tmp_path):
    networks = {"cluster": {"authorizedNetworks": ["198.51.100.0/28", "10.8.0.0/16"]}}
    access = one(render_with(stack, tmp_path, networks, cloud="azure"), CLUSTER)["inputs"]["apiServerAccessProfile"]
    assert access == {"authorizedIPRanges": ["198.51.100.0/28"]}


# --- node pools ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pools_span_three_zones(stack):
    assert [pool["availabilityZones"] for pool in pools_of(stack)] == [["1", "2", "3"]] * 2


def test_nodes_have_no_public_ips():
    assert [pool["enableNodePublicIP"] for pool in pools_of("prod")] == [False, False]


def test_nodes_refuse_ssh():
    assert [pool["securityProfile"] for pool in pools_of("dev")] == [{"sshAccess": "Disabled"}] * 2


def test_system_and_user_pools_autoscale_within_the_configured_bounds():
    system, workloads = pools_of("prod")
    assert (system["mode"], system["minCount"], system["maxCount"]) == ("System", 3, 4)
    assert (workloads["mode"], workloads["minCount"], workloads["maxCount"]) == ("User", 3, 12)
    assert system["enableAutoScaling"] and workloads["enableAutoScaling"]


def test_machine_types_are_translated_to_azure():
    system, workloads = pools_of("prod")
    assert (system["vmSize"], workloads["vmSize"]) == ("Standard_D2s_v5", "Standard_D4s_v5")


def test_system_pool_is_labelled_and_tainted_and_placement_matches():
    system, workloads = pools_of("dev")
    assert system["nodeLabels"] == {SYSTEM_POOL_LABEL: "system"}
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert workloads["nodeTaints"] == []
    from components.cluster.aks.node_pools import SYSTEM_PLACEMENT

    key, value_effect = system["nodeTaints"][0].split("=")
    assert SYSTEM_PLACEMENT.node_selector == system["nodeLabels"]
    assert SYSTEM_PLACEMENT.tolerations == [{"key": key, "operator": "Exists", "effect": value_effect.split(":")[1]}]


def test_autoscaler_owns_the_node_count():
    result = render("dev", "azure")
    assert [pool["ignoreChanges"] for pool in of_type(result, AGENT_POOL)] == [["count"], ["count"]]
    assert "agentPoolProfiles[0].count" in one(result, CLUSTER)["ignoreChanges"]


def test_the_cluster_lists_only_its_one_node_bootstrap_system_pool():
    (bootstrap,) = cluster_of("prod")["agentPoolProfiles"]
    assert (bootstrap["name"], bootstrap["mode"], bootstrap["minCount"], bootstrap["maxCount"]) == (
        "system",
        "System",
        1,
        1,
    )
    assert bootstrap["nodeLabels"] == {SYSTEM_POOL_LABEL: "system"}
    assert bootstrap["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]


def test_the_bootstrap_pool_keeps_its_create_only_settings_and_follows_the_kubernetes_version():
    ignored = set(one(render("dev", "azure"), CLUSTER)["ignoreChanges"])
    create_only = {f.prop for f in REPLACED_BY[AGENT_POOL]} - {"agentPoolName"}
    assert {f"agentPoolProfiles[0].{prop}" for prop in create_only} <= ignored
    assert "agentPoolProfiles[0].orchestratorVersion" not in ignored


def test_system_pool_names_are_versioned_apart_from_the_bootstrap_pool():
    system, workloads = pools_of("prod")
    assert system["agentPoolName"].startswith("sys") and system["agentPoolName"] != "system"
    assert len(system["agentPoolName"]) <= 12 and workloads["agentPoolName"].startswith("wl")


def test_kubernetes_version_comes_from_config():
    assert cluster_of("dev")["kubernetesVersion"] == "1.33"
    assert {pool["orchestratorVersion"] for pool in pools_of("dev")} == {"1.33"}


# --- upgrades, tier, protection ------------------------------------------------------------------


def test_auto_upgrade_channels_patch_the_minor_and_refresh_node_images():
    assert cluster_of("staging")["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }


def test_auto_upgrades_wait_for_weekend_maintenance_windows():
    windows = {
        w["inputs"]["configName"]: w["inputs"]["maintenanceWindow"]
        for w in of_type(render("dev", "azure"), "azure-native:containerservice:MaintenanceConfiguration")
    }
    assert set(windows) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    assert {w["schedule"]["weekly"]["dayOfWeek"] for w in windows.values()} == {"Saturday", "Sunday"}
    assert {w["durationHours"] for w in windows.values()} == {4}


def test_standard_tier_only_in_prod():
    assert cluster_of("prod")["sku"] == {"name": "Base", "tier": "Standard"}
    assert cluster_of("dev")["sku"]["tier"] == "Free"


def test_prod_protects_cluster_key_vault_and_keys():
    result = render("prod", "azure")
    assert one(result, CLUSTER)["protect"] and one(result, VAULT)["protect"]
    assert all(key["protect"] for key in of_type(result, KEY))


def test_dev_protects_nothing():
    assert not [r["name"] for r in render("dev", "azure").resources if r["protect"]]


# --- provider, tags ------------------------------------------------------------------------------


def test_every_azure_resource_uses_the_explicit_provider_in_the_configured_region():
    result = render("dev", "azure")
    provider = one(result, "pulumi:providers:azure-native")
    assert provider["inputs"]["location"] == "eastus"
    azure = [r for r in result.resources if r["type"].startswith("azure-native:")]
    assert azure and all(r["provider"] == provider["urn"] for r in azure)


def _taggable(type_token: str) -> bool:
    _, module, name = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
    return "tags" in inspect.signature(cls._internal_init).parameters


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_azure_resource_carries_the_standard_tags(stack):
    taggable = [
        r for r in render(stack, "azure").resources if r["type"].startswith("azure-native:") and _taggable(r["type"])
    ]
    assert len(taggable) >= 7
    for resource in taggable:
        # Add-ons may add their own (e.g. purpose); the standard three are always there.
        standard = {**STANDARD_TAGS, "environment": stack}
        assert standard.items() <= resource["inputs"]["tags"].items(), resource["name"]


def test_system_pool_carries_the_standard_tags():
    assert cluster_of("dev")["agentPoolProfiles"][0]["tags"] == {**STANDARD_TAGS, "environment": "dev"}


# --- Kubernetes side -----------------------------------------------------------------------------


def test_storage_class_is_premium_disks_nobody_can_export():
    storage_class = one(render("dev", "azure"), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]
    assert storage_class["provisioner"] == "disk.csi.azure.com"
    assert storage_class["parameters"]["networkAccessPolicy"] == "DenyAll"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"


def test_prod_storage_class_retains_released_disks():
    storage_class = one(render("prod", "azure"), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]
    assert storage_class["reclaimPolicy"] == "Retain"


def test_kubernetes_provider_waits_for_the_deployers_access():
    assert by_name("dev", "store-cluster-deployer-access")["urn"] in by_name("dev", "store-cluster-k8s")["dependencies"]


def test_add_ons_wait_for_the_system_pool_but_not_the_workloads_pool():
    deps = set(one(render("dev", "azure"), "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")["dependencies"])
    assert by_name("dev", "store-cluster-cluster")["urn"] in deps  # the system pool is part of the cluster
    assert by_name("dev", "store-cluster-workload-pool")["urn"] not in deps


def test_stack_outputs_name_region_issuer_and_a_secret_kubeconfig():
    outputs = render("prod", "azure").outputs
    assert outputs["clusterName"] == "acme-store-prod-aks"
    assert outputs["region"] == "eastus"
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["oidcIssuer"].startswith(f"https://eastus.oic.prod-aks.azure.com/{TENANT_ID}/")


def test_kubeconfig_authenticates_with_kubelogin_against_the_aks_server_app():
    document = yaml.safe_load(kubeconfig("c", "https://c.hcp.azmk8s.io:443", "Q0E="))
    user = document["users"][0]["user"]["exec"]
    assert user["command"] == "kubelogin"
    assert user["args"][-2:] == ["--server-id", AKS_SERVER_APP_ID]
    assert document["clusters"][0]["cluster"] == {
        "server": "https://c.hcp.azmk8s.io:443",
        "certificate-authority-data": "Q0E=",
    }


def test_endpoint_is_read_from_the_credential_kubeconfig():
    credential = {
        "clusters": [{"name": "c", "cluster": {"server": "https://s:443", "certificate-authority-data": "Q0E="}}]
    }
    assert endpoint_of(base64.b64encode(yaml.safe_dump(credential).encode()).decode()) == ("https://s:443", "Q0E=")


def test_preview_declares_the_same_resources():
    normal = {r["urn"] for r in render("prod", "azure").resources}
    preview = {r["urn"] for r in render("prod", "azure", preview=True).resources}
    assert preview == normal


# --- config --------------------------------------------------------------------------------------


def test_vnet_overlapping_the_overlay_pod_range_is_refused():
    with pytest.raises(ConfigError) as error:
        load_config({"cloud": "azure", "cluster": {"networkCidr": "192.168.0.0/16"}}, "dev")
    assert [p.path for p in error.value.problems] == ["platform.cluster.networkCidr"]


def test_subscription_id_must_be_a_guid():
    with pytest.raises(ConfigError) as error:
        load_config({"cloud": "azure", "subscriptionId": "my-subscription"}, "dev")
    assert [p.path for p in error.value.problems] == ["platform.subscriptionId"]


# --- facilities, called by a tiny add-on under mocks ---------------------------------------------

SUBSCRIPTION = "11111111-2222-4333-8444-555555555555"
ACCOUNT = ServiceAccountRef(namespace="vault", name="vault")


class _Addon(pulumi.ComponentResource):
    """Asks the cluster for everything an add-on can ask for, as Vault and Loki would."""

    def __init__(self, name: str, cluster: AksCluster):
        super().__init__("test:addon:Addon", name)
        self.key = cluster.kms_key(f"{name}-unseal", "Vault auto-unseal", self)
        self.bucket = cluster.bucket(f"{name}-chunks", "loki", self)
        self.identity = cluster.workload_identity(
            f"{name}-wi", ACCOUNT, [KmsKeyUse(self.key), BucketReadWrite(self.bucket)], self
        )
        self.register_outputs({})


@functools.cache
def facilities() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Declare a prod AKS cluster and the add-on; return the registrations and resolved values."""
    config = load_config(
        {
            "cloud": "azure",
            "environment": "prod",
            "subscriptionId": SUBSCRIPTION,
            "cluster": {"deployer": f"servicePrincipal:{DEPLOYER}", "deployerNetworks": ["203.0.113.0/28"]},
        },
        "prod",
    )
    monitor = RecordingMonitor(PlatformMocks(preview=False))
    pulumi.runtime.set_mocks(monitor.mocks, project="store-platform", stack="prod", preview=False, monitor=monitor)
    values: dict[str, Any] = {}

    async def program() -> None:
        cluster = AksCluster("store-cluster", config)
        addon = _Addon("vault", cluster)
        values["annotations"] = await addon.identity.service_account_annotations.future()
        values["pod_labels"] = addon.identity.pod_labels
        values["seal"] = await addon.key.seal_config.future()
        values["bucket"] = (await addon.bucket.name.future(), await addon.bucket.account.future())  # type: ignore[union-attr]
        values["issuer"] = await cluster.oidc_issuer.future()
        values["load_balancers"] = (cluster.load_balancer_annotations(True), cluster.load_balancer_annotations(False))
        with pytest.raises(ValueError, match="vault secrets backend"):
            cluster.workload_identity("bad", ACCOUNT, [SecretsRead("store/")], addon)

    try:
        _sync_await(runtime_stack.run_pulumi_func(program))
    finally:
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
    return monitor.registrations, values


def registered(type_: str, name: str) -> dict[str, Any]:
    found = [r for r in facilities()[0] if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, f"{type_} {name}"
    return found[0]


def test_provider_targets_the_configured_subscription():
    provider = next(r for r in facilities()[0] if r["type"] == "pulumi:providers:azure-native")
    assert provider["inputs"]["subscriptionId"] == SUBSCRIPTION


def test_workload_identity_federates_the_service_account_with_the_cluster_issuer():
    credential = registered("azure-native:managedidentity:FederatedIdentityCredential", "vault-wi-federation")
    assert credential["inputs"]["subject"] == "system:serviceaccount:vault:vault"
    assert credential["inputs"]["issuer"] == facilities()[1]["issuer"]
    assert credential["inputs"]["audiences"] == ["api://AzureADTokenExchange"]


def test_workload_identity_returns_the_client_id_annotation_and_the_webhook_label():
    identity = registered("azure-native:managedidentity:UserAssignedIdentity", "vault-wi-identity")
    values = facilities()[1]
    from store_platform_tools.cloud_mocks.azure import _identity

    assert values["annotations"] == {
        "azure.workload.identity/client-id": _identity(identity["name"], identity["inputs"])["clientId"]
    }
    assert values["pod_labels"] == {"azure.workload.identity/use": "true"}


def test_facility_resources_are_declared_under_the_addon_on_the_azure_provider():
    addon = next(r for r in facilities()[0] if r["type"] == "test:addon:Addon")
    provider = next(r for r in facilities()[0] if r["type"] == "pulumi:providers:azure-native")
    children = [r for r in facilities()[0] if r["parent"] == addon["urn"]]
    assert len(children) >= 8
    assert all(child["provider"] == provider["urn"] for child in children)


def test_kms_grant_is_crypto_user_on_that_key_only():
    grant = registered(ROLE_ASSIGNMENT, "vault-wi-grant-0")["inputs"]
    key = registered(KEY, "vault-unseal-key")
    assert grant["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_CRYPTO_USER}"
    )
    assert grant["scope"] == resource_id(key)


def test_bucket_grant_is_blob_data_contributor_on_that_container_only():
    grant = registered(ROLE_ASSIGNMENT, "vault-wi-grant-1")["inputs"]
    container, account = facilities()[1]["bucket"]
    assert grant["roleDefinitionId"].endswith(STORAGE_BLOB_DATA_CONTRIBUTOR)
    assert grant["scope"].endswith(f"/storageAccounts/{account}/blobServices/default/containers/{container}")


def test_kms_key_gives_vaults_azurekeyvault_seal_parameters():
    key = registered(KEY, "vault-unseal-key")["inputs"]
    assert facilities()[1]["seal"] == {
        "tenant_id": TENANT_ID,
        "vault_name": key["vaultName"],
        "key_name": key["keyName"],
    }
    assert key["properties"]["keyOps"] == ["wrapKey", "unwrapKey"]


def test_prod_facility_key_and_storage_are_protected():
    assert registered(KEY, "vault-unseal-key")["protect"]
    assert registered(STORAGE_ACCOUNT, "vault-chunks-account")["protect"]


def test_bucket_account_takes_only_entra_tokens_over_tls_from_the_node_subnets():
    account = registered(STORAGE_ACCOUNT, "vault-chunks-account")["inputs"]
    assert account["allowSharedKeyAccess"] is False
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    rules = account["networkRuleSet"]
    assert rules["defaultAction"] == "Deny"
    assert len(rules["virtualNetworkRules"]) == 2


def test_bucket_container_and_account_names_are_valid():
    container, account = facilities()[1]["bucket"]
    assert container == "loki"
    assert account.isalnum() and account.islower() and 3 <= len(account) <= 24


def test_bucket_is_zone_redundant_and_expires_blobs_after_the_retention():
    assert registered(STORAGE_ACCOUNT, "vault-chunks-account")["inputs"]["sku"] == {"name": "Standard_ZRS"}
    policy = registered("azure-native:storage:ManagementPolicy", "vault-chunks-lifecycle")["inputs"]["policy"]
    delete = policy["rules"][0]["definition"]["actions"]["baseBlob"]["delete"]
    assert delete == {"daysAfterModificationGreaterThan": 30 + 7}


def test_secrets_read_grant_is_refused_on_azure():
    assert not [r for r in facilities()[0] if r["name"].startswith("bad-")]


def test_internal_load_balancers_are_annotated_and_public_ones_take_the_default():
    internal, public = facilities()[1]["load_balancers"]
    assert internal == {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}
    assert public == {}


def test_facility_key_and_account_carry_the_standard_tags_and_their_purpose():
    tags = {**STANDARD_TAGS, "environment": "prod"}
    assert registered(KEY, "vault-unseal-key")["inputs"]["tags"] == {**tags, "purpose": "Vault auto-unseal"}
    assert registered(STORAGE_ACCOUNT, "vault-chunks-account")["inputs"]["tags"] == {**tags, "purpose": "loki"}
    identity = registered("azure-native:managedidentity:UserAssignedIdentity", "vault-wi-identity")
    assert identity["inputs"]["tags"] == tags
