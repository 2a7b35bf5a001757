"""What every Azure resource of the cluster shares: the explicit provider, the resource group,
the location, the standard tags, who is deploying, and how names and roles are spelt."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization, resources

# Built-in role definition ids (the same GUID in every subscription):
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
# Manage the record sets of a zone, not its access (assigned on the one zone).
DNS_ZONE_CONTRIBUTOR = "befefa01-2a29-4197-83a8-272ff33ce314"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"

# The principal type of each kind `cluster.deployer` / `cluster.admins` names.
PRINCIPAL_TYPES = {
    "user": authorization.PrincipalType.USER,
    "group": authorization.PrincipalType.GROUP,
    "servicePrincipal": authorization.PrincipalType.SERVICE_PRINCIPAL,
}


@dataclass(frozen=True)
class AzureScope:
    provider: pulumi.ProviderResource
    resource_group: resources.ResourceGroup
    location: str
    tags: dict[str, str]
    # The login's tenant and subscription (never its identity: admins come from the config).
    client: pulumi.Output[authorization.GetClientConfigResult]
    protect: bool  # prod: what cannot be re-created without loss

    def options(self, parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options every Azure resource takes: its parent and the explicit provider, plus `kwargs`."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kwargs)

    def role(self, role_guid: str) -> pulumi.Output[str]:
        """The subscription-scoped id of a built-in role definition."""
        return self.client.subscription_id.apply(
            lambda sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
        )

    def grant(
        self,
        name: str,
        role_guid: str,
        principal_id: pulumi.Input[str],
        scope: pulumi.Input[str],
        parent: pulumi.Resource,
    ) -> authorization.RoleAssignment:
        """A role assignment to a managed identity. The principal type is stated so Azure does not
        look the new identity up in Entra ID before it has replicated there."""
        return authorization.RoleAssignment(
            name,
            principal_id=principal_id,
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=self.role(role_guid),
            scope=scope,
            opts=self.options(parent),
        )

    def global_name(
        self, stem: str, salt: pulumi.Input[str], max_length: int, separator: str = ""
    ) -> pulumi.Output[str]:
        """A globally unique name (key vault, storage account): a readable stem plus a hash of the
        resource group's id (subscription + group) and `salt`, stable across runs."""
        stem = re.sub(r"[^a-z0-9]+", separator, stem.lower()).strip("-")
        return pulumi.Output.all(self.resource_group.id, salt).apply(
            lambda a: _join(stem, hashlib.sha256(f"{a[0]}/{a[1]}".encode()).hexdigest()[:8], max_length, separator)
        )


def _join(stem: str, digest: str, max_length: int, separator: str) -> str:
    room = max_length - len(digest) - len(separator)
    return f"{stem[:room].rstrip('-')}{separator}{digest}"


def slug(text: str, max_length: int) -> str:
    """Lowercase letters, digits and single hyphens: what container and key names accept."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].rstrip("-")
