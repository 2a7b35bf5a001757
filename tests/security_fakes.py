"""A managed-cloud ClusterInfo stand-in for the security tests: it hands out a KMS key of any seal
type and records every workload identity asked of it, so the Security component's wiring is
tested per cloud without any cloud module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi.runtime import settings
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.sync_await import _sync_await

from components.cluster import Bucket, ClusterInfo, Grant, KmsKey, Placement, ServiceAccountRef, WorkloadIdentity
from components.config import PlatformConfig, Secrets, load_config
from store_platform_tools.mocks import PlatformMocks, RecordingMonitor

SEALS: dict[str, dict[str, str]] = {
    "awskms": {"region": "us-east-1", "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/unseal"},
    "gcpckms": {"project": "acme-store", "region": "europe-west1", "key_ring": "vault", "crypto_key": "unseal"},
    "azurekeyvault": {"tenant_id": "tenant", "vault_name": "acme-kv", "key_name": "unseal"},
}


@dataclass
class IdentityRequest:
    account: ServiceAccountRef
    grants: list[Grant]


@dataclass
class FakeManagedCluster(ClusterInfo):
    seal_type: str
    identities: list[IdentityRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cloud, self.region = "aws", "us-east-1"
        self.name = pulumi.Output.from_input("fake")
        self.provider = k8s.Provider("fake-k8s", k8s.ProviderArgs(context="fake"))
        self.kubeconfig = pulumi.Output.secret("fake")
        self.oidc_issuer = pulumi.Output.from_input("https://oidc.example")
        self.storage_class = "encrypted-ssd"
        self.system_placement = Placement(
            node_selector={"store-platform/pool": "system"},
            tolerations=[{"key": "store-platform/pool", "value": "system", "effect": "NoSchedule"}],
        )
        self.ready = []

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        self.identities.append(IdentityRequest(account, list(grants)))
        return WorkloadIdentity(
            service_account_annotations=pulumi.Output.from_input({"example.com/identity": f"{account.name}-role"}),
            pod_labels={"example.com/use": "true"},
        )

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey | None:
        return KmsKey(
            seal_type=self.seal_type,  # type: ignore[arg-type]
            seal_config=pulumi.Output.from_input(SEALS[self.seal_type]),
            key_id=pulumi.Output.from_input("unseal"),
        )

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket | None:
        return None

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> None:
        return None  # these add-ons ask for no zone

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        return {}


def config_for(environment: str, **platform: Any) -> PlatformConfig:
    return load_config({"environment": environment, "cloud": "aws", **platform}, environment)


def declare(build: Callable[[], object]) -> list[dict[str, Any]]:
    """Run `build` under the render's mocks; every resource registration, as resources.json has them."""
    monitor = RecordingMonitor(PlatformMocks(preview=False))
    pulumi.runtime.set_mocks(monitor.mocks, project="store-platform", stack="test", preview=False, monitor=monitor)

    async def program() -> None:
        build()

    try:
        _sync_await(runtime_stack.run_pulumi_func(program))
    finally:
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
    return monitor.registrations


def no_secrets() -> Secrets:
    return Secrets({"slackWebhookUrl": None, "pagerdutyRoutingKey": None})
