"""The GKE control plane, configured after Google's "Harden your cluster's security" guide and
the CIS GKE Benchmark (sections cited beside each setting)."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ...config import PlatformConfig
from ...tags import standard_tags
from .network import PODS_RANGE, SERVICES_RANGE, Network

# Weekend nights, UTC: GKE needs at least 48 hours of maintenance availability in any 32 days,
# and 2 x 6 hours a week gives about 55. Dates only anchor the recurrence.
MAINTENANCE_START = "2026-01-03T02:00:00Z"
MAINTENANCE_END = "2026-01-03T08:00:00Z"
MAINTENANCE_RECURRENCE = "FREQ=WEEKLY;BYDAY=SA,SU"


def workload_pool(config: PlatformConfig) -> str:
    return f"{config.gcp_project_id}.svc.id.goog"


def build_cluster(
    name: str,
    config: PlatformConfig,
    network: Network,
    zones: pulumi.Input[list[str]],
    etcd_key: gcp.kms.CryptoKey,
    etcd_key_grant: pulumi.Resource,
    parent: pulumi.Resource,
    provider: gcp.Provider,
    apis: list[pulumi.Resource],
    default_pool: gcp.container.ClusterNodeConfigArgs,
    default_pool_needs: list[pulumi.Resource],
) -> gcp.container.Cluster:
    cluster_config = config.cluster
    private_endpoint = cluster_config.private_endpoint
    return gcp.container.Cluster(
        f"{name}-gke",
        gcp.container.ClusterArgs(
            name=config.name_prefix,
            project=config.gcp_project_id,
            location=config.region,  # regional: a control-plane replica in each zone
            node_locations=zones,
            min_master_version=cluster_config.kubernetes_version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel="REGULAR"),
            # Node pools are managed separately; the default pool (and its default compute
            # service account) is removed as soon as the cluster exists. CIS GKE 5.2.1.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=default_pool,
            network=network.vpc.id,
            subnetwork=network.subnet.id,
            # VPC-native (alias IP) networking from the subnet's secondary ranges. CIS GKE 5.6.2.
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE,
                services_secondary_range_name=SERVICES_RANGE,
                stack_type="IPV4",
            ),
            # Nodes have internal addresses only (CIS GKE 5.6.5); prod's API server has no public
            # endpoint at all (CIS GKE 5.6.4). Private Service Connect carries control-plane traffic.
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True, enable_private_endpoint=private_endpoint
            ),
            # The deploy path. dns: the DNS-based endpoint, reachable from anywhere but authorized
            # by IAM (container.clusters.connect) for each request, Google's recommended way into
            # a private control plane: no network path, no CIDR list to keep current
            # (https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation).
            # The IP endpoints stay, for nodes and in-network clients.
            control_plane_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=cluster_config.deploy_path == "dns"
                ),
                ip_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigIpEndpointsConfigArgs(enabled=True),
            ),
            # Only the listed ranges reach the API server, on its private endpoint too. CIS GKE 5.6.3.
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name=f"authorized-{i}"
                    )
                    for i, cidr in enumerate(cluster_config.authorized_networks)
                ],
                gcp_public_cidrs_access_enabled=False,
                private_endpoint_enforcement_enabled=True,
            ),
            # Dataplane V2 (eBPF): NetworkPolicy enforced without the Calico add-on. CIS GKE 5.6.7.
            datapath_provider="ADVANCED_DATAPATH",
            # Pods get Google identities through Workload Identity, never node credentials. CIS GKE 5.2.2.
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=workload_pool(config)
            ),
            enable_shielded_nodes=True,  # CIS GKE 5.5.5
            # Kubernetes Secrets encrypted in etcd with our Cloud KMS key. CIS GKE 5.3.1.
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=etcd_key.id),
            enable_legacy_abac=False,  # CIS GKE 5.8.3
            # No client certificates: users authenticate with Google identities. CIS GKE 2.1.1.
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            # Same-node pod traffic visible to flow logs. CIS GKE 5.6.1.
            enable_intranode_visibility=True,
            # System and workload logs and metrics to Cloud Operations. CIS GKE 5.7.1.
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=["SYSTEM_COMPONENTS", "WORKLOADS"]),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS"],
                # The platform runs its own Prometheus (observability area); a second collector
                # would scrape everything twice.
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=False),
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                # Persistent disks through the CSI driver, which the encrypted StorageClass uses.
                gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                ),
            ),
            maintenance_policy=gcp.container.ClusterMaintenancePolicyArgs(
                recurring_window=gcp.container.ClusterMaintenancePolicyRecurringWindowArgs(
                    start_time=MAINTENANCE_START, end_time=MAINTENANCE_END, recurrence=MAINTENANCE_RECURRENCE
                )
            ),
            deletion_protection=config.is_prod,
            resource_labels=standard_tags(config),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=provider,
            protect=config.is_prod,
            # GKE checks at creation that its service agent may use the etcd key; the default
            # pool's nodes boot with the node account and the disk key.
            depends_on=[*apis, etcd_key_grant, *default_pool_needs],
            # The default pool is gone once the cluster exists: its settings matter only at
            # creation, and a change to them would replace the cluster.
            ignore_changes=["nodeConfig"],
        ),
    )
