"""The cluster's network: one VPC with a regional subnet (GCP subnets span every zone of their
region), secondary ranges for VPC-native pods and services, and Cloud NAT for the private nodes'
egress."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from ...config import PlatformConfig
from ...tags import standard_tags
from ...webhooks import webhook_ports

PODS_RANGE = "pods"
SERVICES_RANGE = "services"
# Prod egress leaves from reserved addresses, so they survive a NAT re-creation and partners
# can allow-list them; two give room for the ports of a full workload pool.
PROD_NAT_ADDRESSES = 2


@dataclass(frozen=True)
class AddressPlan:
    nodes: str
    pods: str
    services: str


def address_plan(network_cidr: str) -> AddressPlan:
    """How the network block is shared out. Pods take half: GKE gives every node a /24 of pod
    addresses (110 pods a node), so pods need far more room than nodes. Nodes get a sixteenth,
    services an eighth, the rest stays free for later subnets (e.g. internal load balancers)."""
    network = ipaddress.ip_network(network_cidr)
    pods, upper = network.subnets(prefixlen_diff=1)
    nodes = next(upper.subnets(new_prefix=network.prefixlen + 4))
    services = list(upper.subnets(new_prefix=network.prefixlen + 3))[1]
    return AddressPlan(nodes=str(nodes), pods=str(pods), services=str(services))


@dataclass(frozen=True)
class Network:
    vpc: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    nat: gcp.compute.RouterNat


def build_network(
    name: str, config: PlatformConfig, parent: pulumi.Resource, provider: gcp.Provider, apis: list[pulumi.Resource]
) -> Network:
    prefix = config.name_prefix
    plan = address_plan(config.cluster.network_cidr)
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis)
    # The network outlives every node; in prod it is protected like the cluster and its keys.
    network_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=config.is_prod))
    vpc = gcp.compute.Network(
        f"{name}-vpc",
        gcp.compute.NetworkArgs(
            name=prefix, project=config.gcp_project_id, auto_create_subnetworks=False, routing_mode="REGIONAL"
        ),
        opts=network_opts,
    )
    subnet = gcp.compute.Subnetwork(
        f"{name}-subnet",
        gcp.compute.SubnetworkArgs(
            name=f"{prefix}-nodes",
            project=config.gcp_project_id,
            network=vpc.id,
            region=config.region,
            ip_cidr_range=plan.nodes,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=plan.pods),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES_RANGE, ip_cidr_range=plan.services),
            ],
            # Private nodes reach Google APIs (registry, logging, KMS) without leaving Google's network.
            private_ip_google_access=True,
            # CIS GKE Benchmark 5.6.1: VPC flow logs on the cluster's subnet.
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
            ),
        ),
        opts=opts,
    )
    router = gcp.compute.Router(
        f"{name}-router",
        gcp.compute.RouterArgs(
            name=f"{prefix}-nat", project=config.gcp_project_id, network=vpc.id, region=config.region
        ),
        opts=opts,
    )
    # Cloud NAT is a regional, distributed service (no per-zone gateway to lose), so every
    # environment gets the same shape; prod differs only in owning its egress addresses.
    addresses = [
        gcp.compute.Address(
            f"{name}-nat-ip-{i}",
            gcp.compute.AddressArgs(
                name=f"{prefix}-nat-{i}",
                project=config.gcp_project_id,
                region=config.region,
                address_type="EXTERNAL",
                labels=standard_tags(config),
            ),
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis, protect=True),
        )
        for i in range(PROD_NAT_ADDRESSES if config.is_prod else 0)
    ]
    nat = gcp.compute.RouterNat(
        f"{name}-nat",
        gcp.compute.RouterNatArgs(
            name=f"{prefix}-nat",
            project=config.gcp_project_id,
            router=router.name,
            region=config.region,
            nat_ip_allocate_option="MANUAL_ONLY" if addresses else "AUTO_ONLY",
            nat_ips=[a.self_link for a in addresses] or None,
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            enable_dynamic_port_allocation=True,
            enable_endpoint_independent_mapping=False,  # required with dynamic port allocation
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
        ),
        opts=opts,
    )
    return Network(vpc=vpc, subnet=subnet, nat=nat)


def control_plane_range(config: gcp.container.outputs.ClusterPrivateClusterConfig | None) -> str:
    """Where the control plane's calls to the nodes come from: the peered /28 of a VPC-peering
    cluster, else (Private Service Connect) the control plane's internal endpoint."""
    if config is None or not (config.master_ipv4_cidr_block or config.private_endpoint):
        raise ValueError("the GKE cluster reports no control-plane address; its nodes must be private")
    return config.master_ipv4_cidr_block or f"{config.private_endpoint}/32"


def webhook_firewall(
    name: str,
    config: PlatformConfig,
    network: Network,
    cluster: gcp.container.Cluster,
    node_account: gcp.serviceaccount.Account,
    parent: pulumi.Resource,
    provider: gcp.Provider,
    apis: list[pulumi.Resource],
) -> gcp.compute.Firewall:
    """Private nodes admit the control plane on 443 and 10250 only (GKE's own `gke-...-master`
    rule). The API server calls admission webhooks on their pods' ports, so each webhook port the
    platform serves (components/webhooks.py, one row per webhook with its source) is opened from
    the control plane to the nodes' service account, and to nothing else."""
    ports = webhook_ports(config)
    return gcp.compute.Firewall(
        f"{name}-webhooks",
        gcp.compute.FirewallArgs(
            name=f"{config.name_prefix}-webhooks",
            project=config.gcp_project_id,
            network=network.vpc.id,
            description=f"GKE control plane to admission webhooks on ports {', '.join(map(str, ports))}",
            direction="INGRESS",
            source_ranges=[cluster.private_cluster_config.apply(control_plane_range)],
            target_service_accounts=[node_account.email],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in ports])],
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=apis),
    )
