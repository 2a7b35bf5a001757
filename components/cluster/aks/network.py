"""The cluster's VNet: one subnet per node pool. With Azure CNI overlay, pods take addresses from
the overlay range, not the VNet, so node subnets stay small and half the VNet stays free for
private endpoints or API server VNet integration later.

Azure subnets are regional: each spans the region's three zones, and the node pools spread
their nodes over the zones (node_pools.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network

from ...config import PlatformConfig
from .azure import AzureScope


@dataclass(frozen=True)
class Network:
    vnet: network.VirtualNetwork
    system_subnet: network.Subnet
    workload_subnet: network.Subnet
    # API Server VNet Integration (deployPath: deployer-networks): the API server's private
    # address lives here; None on the other deploy paths.
    api_server_subnet: network.Subnet | None = None

    @property
    def node_subnets(self) -> list[network.Subnet]:
        return [self.system_subnet, self.workload_subnet]


def node_subnet_prefixes(network_cidr: str) -> tuple[str, str]:
    """The first two quarters of the VNet: system nodes, then workload nodes."""
    quarters = list(ipaddress.ip_network(network_cidr).subnets(prefixlen_diff=2))
    return str(quarters[0]), str(quarters[1])


def api_server_subnet_prefix(network_cidr: str) -> str:
    """A /28 (AKS's minimum for API Server VNet Integration) at the start of the free third quarter."""
    third = list(ipaddress.IPv4Network(network_cidr).subnets(prefixlen_diff=2))[2]
    return str(next(third.subnets(new_prefix=28)))


def build_network(name: str, config: PlatformConfig, azure: AzureScope, parent: pulumi.Resource) -> Network:
    vnet = network.VirtualNetwork(
        f"{name}-vnet",
        virtual_network_name=f"{config.name_prefix}-vnet",
        resource_group_name=azure.resource_group.name,
        location=azure.location,
        address_space=network.AddressSpaceArgs(address_prefixes=[config.cluster.network_cidr]),
        tags=azure.tags,
        # No inline subnets: the Network API keeps the separately declared ones when a VNet
        # update omits the property. In prod the network is protected like the cluster and keys.
        opts=azure.options(parent, protect=config.is_prod),
    )
    system_prefix, workload_prefix = node_subnet_prefixes(config.cluster.network_cidr)
    subnets = [
        network.Subnet(
            f"{name}-{role}-subnet",
            subnet_name=f"{role}-nodes",
            resource_group_name=azure.resource_group.name,
            virtual_network_name=vnet.name,
            address_prefix=prefix,
            # No implicit internet egress: nodes leave only through the cluster's load balancer
            # outbound rules, as in the AKS baseline reference architecture (mspnp/aks-baseline).
            default_outbound_access=False,
            # Storage accounts admit only these subnets (facilities.py); the endpoint carries the
            # subnet's identity to Azure Storage.
            service_endpoints=[network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")],
            opts=azure.options(parent),
        )
        for role, prefix in (("system", system_prefix), ("workload", workload_prefix))
    ]
    api_server = None
    if config.cluster.deploy_path == "deployer-networks":
        # Delegated to AKS, which puts the API server's internal load balancer in it
        # (https://learn.microsoft.com/azure/aks/api-server-vnet-integration).
        api_server = network.Subnet(
            f"{name}-api-server-subnet",
            subnet_name="api-server",
            resource_group_name=azure.resource_group.name,
            virtual_network_name=vnet.name,
            address_prefix=api_server_subnet_prefix(config.cluster.network_cidr),
            default_outbound_access=False,
            delegations=[
                network.DelegationArgs(name="aks-api-server", service_name="Microsoft.ContainerService/managedClusters")
            ],
            opts=azure.options(parent),
        )
    return Network(vnet=vnet, system_subnet=subnets[0], workload_subnet=subnets[1], api_server_subnet=api_server)
