"""FrontDoor: cert-manager with the stack's ClusterIssuer, and a Certificate for every platform
host whose Secret lands beside the gateway pods."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import CERT_MANAGER_NAMESPACE, EXTERNAL_DNS_NAMESPACE
from ..cluster import ClusterInfo, DnsRecordsWrite, DnsZone, ServiceAccountRef, WorkloadIdentity
from ..config import PlatformConfig
from ..kube import helm_release, namespace
from . import cert_manager, external_dns
from .hosts import Host, platform_hosts


class FrontDoor(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    zone: DnsZone | None
    certificates: list[k8s.apiextensions.CustomResource]

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        cluster: ClusterInfo,
        gateway_namespace: k8s.core.v1.Namespace | None,
        monitoring_crds: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`gateway_namespace`: where the gateway pods run, which read the hosts' TLS Secrets
        (None: no gateway on this mesh yet, no certificates); `monitoring_crds`: the release
        installing ServiceMonitor, which cert-manager's chart creates."""
        super().__init__("store-platform:frontdoor:FrontDoor", name, None, opts)
        self._config, self._cluster = config, cluster
        cm_ns = namespace(
            f"{name}-cert-manager-ns",
            CERT_MANAGER_NAMESPACE,
            cluster,
            pod_security="restricted",
            reason="",
            parent=self,
        )
        self.namespaces = {CERT_MANAGER_NAMESPACE: cm_ns}
        # The stack's zone exists on every cloud; which resources exist never depends on an Output.
        self.zone = cluster.dns_zone(f"{name}-dns", config.dns.domain, self)
        identity = self._identity(name)
        values = pulumi.Output.all(identity.service_account_annotations).apply(
            lambda args: cert_manager.cert_manager_values(
                config, cluster.system_placement, args[0], identity.pod_labels
            )
        )
        self.release = helm_release(
            f"{name}-cert-manager",
            "cert-manager",
            config,
            cluster,
            namespace=cm_ns,
            values=values,
            parent=self,
            depends_on=[monitoring_crds],
        )
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-cluster-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cert_manager.issuer_name(config)),
            spec=self._issuer_spec(identity),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[self.release]),
        )
        self.certificates = (
            [self._certificate(name, host, gateway_namespace) for host in platform_hosts(config)]
            if gateway_namespace is not None
            else []
        )
        # Records follow the gateway's hosts: only where the mesh has a gateway (Istio today).
        publishes = self.zone is not None and bool(external_dns.sources(config))
        self.external_dns = self._external_dns(name, monitoring_crds) if publishes else None
        self.register_outputs({"issuer": cert_manager.issuer_name(config)})

    def _external_dns(self, name: str, monitoring_crds: pulumi.Resource) -> k8s.helm.v3.Release:
        """external-dns on a cloud stack: its namespace, identity (records of the zone, any type),
        on Azure its azure.json, and the release."""
        config, cluster, zone = self._config, self._cluster, self.zone
        assert zone is not None
        ns = namespace(
            f"{name}-external-dns-ns",
            EXTERNAL_DNS_NAMESPACE,
            cluster,
            pod_security="restricted",
            reason="",
            parent=self,
        )
        self.namespaces[EXTERNAL_DNS_NAMESPACE] = ns
        account = ServiceAccountRef(EXTERNAL_DNS_NAMESPACE, external_dns.SERVICE_ACCOUNT)
        identity = cluster.workload_identity(
            f"{name}-external-dns-identity", account, [DnsRecordsWrite(zone, list_zones=True)], self
        )
        coordinates = self._coordinates(identity)
        depends: list[pulumi.Resource] = [monitoring_crds]
        if zone.kind == "azuredns":
            depends.append(
                k8s.core.v1.Secret(
                    f"{name}-external-dns-azure-config",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=external_dns.AZURE_CONFIG_SECRET, namespace=ns.metadata.name
                    ),
                    string_data={"azure.json": coordinates.apply(external_dns.azure_config)},
                    opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
                )
            )
        values = pulumi.Output.all(identity.service_account_annotations, coordinates).apply(
            lambda args: external_dns.external_dns_values(
                config, cluster.system_placement, args[0], identity.pod_labels, args[1]
            )
        )
        return helm_release(
            f"{name}-external-dns",
            "external-dns",
            config,
            cluster,
            namespace=ns,
            values=values,
            parent=self,
            depends_on=depends,
        )

    def _coordinates(self, identity: WorkloadIdentity) -> pulumi.Output[dict[str, str]]:
        """The zone's coordinates (and Azure's client id) as one Output."""
        zone = self.zone
        assert zone is not None
        coordinates: dict[str, pulumi.Input[str]] = {"zone_id": zone.zone_id}
        for key, value in (
            ("resource_group", zone.resource_group),
            ("subscription_id", zone.subscription_id),
            ("tenant_id", zone.tenant_id),
            ("client_id", identity.client_id),
        ):
            if value is not None:
                coordinates[key] = value
        return pulumi.Output.all(**coordinates)  # type: ignore[return-value]

    def _identity(self, name: str) -> WorkloadIdentity:
        if self.zone is None:
            return WorkloadIdentity(service_account_annotations=pulumi.Output.from_input({}))
        account = ServiceAccountRef(CERT_MANAGER_NAMESPACE, cert_manager.SERVICE_ACCOUNT)
        # DNS-01 writes TXT records only (Route 53 states it in the policy; the others grant the zone).
        grants = [DnsRecordsWrite(self.zone, record_types=("TXT",))]
        return self._cluster.workload_identity(f"{name}-cert-manager-identity", account, grants, self)

    def _issuer_spec(self, identity: WorkloadIdentity) -> pulumi.Input[dict[str, Any]]:
        config = self._config
        if self.zone is None:
            return cert_manager.cluster_issuer_spec(config, None)
        return self._coordinates(identity).apply(lambda c: cert_manager.cluster_issuer_spec(config, c))

    def _certificate(
        self, name: str, host: Host, gateway_namespace: k8s.core.v1.Namespace
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{name}-{host.role}-certificate",
            api_version="cert-manager.io/v1",
            kind="Certificate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=host.tls_secret, namespace=gateway_namespace.metadata.name),
            spec=cert_manager.certificate_spec(self._config, host),
            opts=pulumi.ResourceOptions(parent=self, provider=self._cluster.provider, depends_on=[self.issuer]),
        )
