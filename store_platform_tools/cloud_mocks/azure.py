"""What Azure computes for the AKS cluster's resources, and the answers to its provider functions.

Names echo the `*Name` input each resource is given; ids, principals and URLs are derived from
names by hashing, so every render gives the same values."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import yaml

from ..mocks import call_result, computed_outputs, output_shape

SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-000000000002"
# Who runs Pulumi offline (tests swap it to show that nothing depends on it).
CALLER_OBJECT_ID = "00000000-0000-4000-8000-000000000003"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


# Type token -> the input that names the resource in Azure (its `name` output).
_NAME_INPUTS = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:storage:BlobContainer": "containerName",
}


def _echo_name(type_: str, key: str) -> None:
    @computed_outputs(type_)
    def _name(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"name": inputs.get(key, name)}


for _type, _input in _NAME_INPUTS.items():
    _echo_name(_type, _input)


@computed_outputs("azure-native:managedidentity:UserAssignedIdentity")
def _identity(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs.get("resourceName", name),
        "principalId": _uuid("principal", name),
        "clientId": _uuid("client", name),
        "tenantId": TENANT_ID,
    }


@computed_outputs("azure-native:keyvault:Vault")
def _vault(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    vault_name = inputs.get("vaultName", name)
    return {
        "name": vault_name,
        "properties": {**inputs.get("properties", {}), "vaultUri": f"https://{vault_name}.vault.azure.net/"},
    }


@computed_outputs("azure-native:keyvault:Key")
def _key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key_uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{inputs.get('keyName', name)}"
    group, vault_name = inputs.get("resourceGroupName"), inputs.get("vaultName")
    vault = f"/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{vault_name}"
    return {
        # The key's ARM id, which role assignments are scoped to.
        "id": f"/subscriptions/{SUBSCRIPTION_ID}{vault}/keys/{inputs.get('keyName', name)}",
        "name": inputs.get("keyName", name),
        "keyUri": key_uri,
        "keyUriWithVersion": f"{key_uri}/{uuid.uuid5(uuid.NAMESPACE_URL, key_uri).hex}",
    }


@computed_outputs("azure-native:storage:StorageAccount")
def _storage_account(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    account = inputs.get("accountName", name)
    return {"name": account, "primaryEndpoints": {"blob": f"https://{account}.blob.core.windows.net/"}}


@output_shape("azure-native:containerservice:ManagedCluster")
def _managed_cluster_state(inputs: dict[str, Any]) -> dict[str, Any]:
    """The input lists the user-assigned identity ids; the output maps each id to its principal."""
    identity = inputs.get("identity")
    if not identity or "userAssignedIdentities" not in identity:
        return inputs
    identities = {
        str(rid): {"principalId": _uuid("principal", str(rid)), "clientId": _uuid("client", str(rid))}
        for rid in identity["userAssignedIdentities"]
    }
    return {**inputs, "identity": {**identity, "userAssignedIdentities": identities}}


@computed_outputs("azure-native:containerservice:ManagedCluster")
def _managed_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("resourceName", name)
    location = inputs.get("location", "eastus")
    private = (inputs.get("apiServerAccessProfile") or {}).get("enablePrivateCluster", False)
    fqdn = f"{inputs.get('dnsPrefix', cluster)}-{_uuid('fqdn', cluster)[:8]}.hcp.{location}.azmk8s.io"
    return {
        "name": cluster,
        "fqdn": None if private else fqdn,
        "privateFQDN": fqdn.replace(".hcp.", ".privatelink.") if private else None,
        "oidcIssuerProfile": {
            "enabled": True,
            "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT_ID}/{_uuid('issuer', cluster)}/",
        },
    }


@call_result("azure-native:authorization:getClientConfig")
def _client_config(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "clientId": _uuid("client", CALLER_OBJECT_ID),
        "objectId": CALLER_OBJECT_ID,
        "subscriptionId": SUBSCRIPTION_ID,
        "tenantId": TENANT_ID,
    }


@call_result("azure-native:containerservice:listManagedClusterUserCredentials")
def _user_credentials(args: dict[str, Any]) -> dict[str, Any]:
    cluster = args["resourceName"]
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {
                    "server": f"https://{cluster}.hcp.azmk8s.io:443",
                    "certificate-authority-data": base64.b64encode(f"offline CA of {cluster}".encode()).decode(),
                },
            }
        ],
    }
    value = base64.b64encode(yaml.safe_dump(kubeconfig).encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": value}]}


@computed_outputs("azure-native:dns:Zone")
def _dns_zone(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zone = inputs.get("zoneName", name)
    group = inputs.get("resourceGroupName")
    return {
        "name": zone,
        "id": f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.Network/dnszones/{zone}",
        "nameServers": [f"ns{i}-01.azure-dns.{tld}." for i, tld in enumerate(("com", "net", "org", "info"), start=1)],
    }
