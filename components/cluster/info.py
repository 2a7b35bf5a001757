"""ClusterInfo: all an add-on gets from the cloud layer, identical in shape on every cloud.

An add-on asks for a facility in cloud-neutral terms (a KMS key for Vault, a bucket for Loki,
an identity for a service account) and gets back what it must put into Kubernetes
(annotations, seal parameters, bucket coordinates). No add-on imports a cloud SDK.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

SYSTEM_POOL_LABEL = "store-platform/pool"
# Platform add-ons run on the system pool; the taint keeps the services off it.
SYSTEM_POOL_TAINT = {"key": SYSTEM_POOL_LABEL, "value": "system", "effect": "NoSchedule"}


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str


@dataclass(frozen=True)
class KmsKey:
    """A customer-managed key, with the parameters of Vault's matching seal stanza."""

    seal_type: Literal["awskms", "gcpckms", "azurekeyvault"]
    seal_config: pulumi.Output[dict[str, str]]  # e.g. {"region": ..., "kms_key_id": ...}
    key_id: pulumi.Output[str]


@dataclass(frozen=True)
class Bucket:
    """Object storage an add-on writes to, reached through a workload identity (no static keys)."""

    kind: Literal["s3", "gcs", "azure"]
    name: pulumi.Output[str]  # bucket / container name
    region: str
    # Azure only: the storage account holding the container.
    account: pulumi.Output[str] | None = None


@dataclass(frozen=True)
class KmsKeyUse:
    key: KmsKey


@dataclass(frozen=True)
class BucketReadWrite:
    bucket: Bucket


@dataclass(frozen=True)
class SecretsRead:
    """Read secrets under a name prefix in the cloud's secret store (AWS Secrets Manager)."""

    prefix: str


@dataclass(frozen=True)
class DnsZone:
    """The stack's public zone in the cloud's DNS service (Route 53, Cloud DNS, Azure DNS), with
    what a DNS-01 solver and external-dns need to address it."""

    kind: Literal["route53", "clouddns", "azuredns"]
    domain: str  # the zone's DNS name, without the trailing dot
    # Route 53: hosted zone id; Cloud DNS: managed zone name; Azure DNS: the zone's resource name.
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]]  # what the parent zone delegates to
    region: str = ""  # aws
    project: str = ""  # gcp
    resource_group: pulumi.Output[str] | None = None  # azure
    subscription_id: pulumi.Output[str] | None = None  # azure
    tenant_id: pulumi.Output[str] | None = None  # azure


@dataclass(frozen=True)
class DnsRecordsWrite:
    """Write records in one zone and no other. `record_types`: where the cloud can say it (Route 53
    conditions), only these record types (cert-manager's DNS-01: TXT); empty: any type."""

    zone: DnsZone
    record_types: tuple[str, ...] = ()
    # Also list the project's zones where the cloud grants that only project-wide (Cloud DNS:
    # external-dns finds its zone by listing; read-only, roles/dns.reader).
    list_zones: bool = False


Grant = KmsKeyUse | BucketReadWrite | SecretsRead | DnsRecordsWrite


@dataclass(frozen=True)
class WorkloadIdentity:
    """What binds a Kubernetes service account to a cloud identity."""

    service_account_annotations: pulumi.Output[dict[str, str]]
    pod_labels: dict[str, str] = field(default_factory=dict)  # Azure's webhook selects pods by label
    # Azure: the managed identity's client id, which some clients name in their own config
    # (cert-manager's azureDNS solver); None elsewhere.
    client_id: pulumi.Output[str] | None = None


@dataclass(frozen=True)
class Placement:
    """Where platform add-ons run: node selector and tolerations for the system pool."""

    node_selector: dict[str, str]
    tolerations: list[dict[str, str]]


@dataclass(frozen=True)
class ScrapeTarget:
    """A metrics Service of an add-on the cluster layer installs (Karpenter on EKS). The cluster
    layer installs before the monitoring CRDs, so its charts cannot render their own ServiceMonitor;
    observability declares one per target once the CRDs are in."""

    name: str
    namespace: str
    selector: dict[str, str]  # the Service's labels
    port: str  # the Service port's name


class ClusterInfo(ABC):
    """A cluster ready for add-ons, whichever cloud (or none) built it."""

    cloud: str
    region: str
    name: pulumi.Output[str]
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]  # a secret output
    oidc_issuer: pulumi.Output[str]
    storage_class: str  # encrypted block storage for add-on volumes
    system_placement: Placement
    # What a release that runs pods waits for: the system pool, core add-ons (CNI, CSI) and the
    # storage class; a release declared before them would time out waiting for its pods. The
    # provider itself waits for API access, so namespaces and CRD-only charts need nothing more.
    ready: Sequence[pulumi.Resource]
    # Namespaces the cluster layer itself installs into (Karpenter on EKS): Security gives them
    # default-deny and the flow table's openings like every other namespace.
    namespaces: Mapping[str, k8s.core.v1.Namespace] = MappingProxyType({})
    # Metrics of those add-ons that Prometheus scrapes.
    scrape_targets: Sequence[ScrapeTarget] = ()

    @abstractmethod
    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        """A cloud identity for `account` with `grants`; returns what goes on the service account."""

    @abstractmethod
    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> KmsKey | None:
        """A customer-managed key for an add-on; None where the cluster has no KMS (existing)."""

    @abstractmethod
    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket | None:
        """An encrypted, private bucket; None where the cluster has no object storage (existing)."""

    @abstractmethod
    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> DnsZone | None:
        """The stack's public zone `domain` in the cloud's DNS service, created here (protected in
        prod); None where the cluster has no cloud DNS (existing: no records, self-signed certificates)."""

    @abstractmethod
    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        """Service annotations for a cloud load balancer, internal or internet-facing."""
