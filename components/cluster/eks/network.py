"""The cluster's VPC: public and private subnets in three zones, NAT egress, flow logs.

Follows the EKS Best Practices Guide, Networking > "VPC and Subnet Considerations": nodes in
private subnets, load balancers in public (internet-facing) or private (internal) subnets found
by their role tags, one NAT gateway per zone where a zone outage must not cut egress (prod).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ...config import PlatformConfig
from ...config.clouds import cluster_zones
from .iam import policy_document, service_trust_policy

ZONES = 3


@dataclass(frozen=True)
class SubnetLayout:
    private: tuple[str, ...]  # one per zone, for nodes and pods (the VPC CNI gives pods VPC addresses)
    public: tuple[str, ...]  # one per zone, for NAT gateways and internet-facing load balancers


def subnet_layout(network_cidr: str) -> SubnetLayout:
    """Three quarters of the VPC for private subnets (pods take VPC addresses), the last quarter
    split in four for the public ones: a /16 gives three /18 private and three /20 public subnets."""
    quarters = list(ipaddress.IPv4Network(network_cidr).subnets(prefixlen_diff=2))
    public = list(quarters[3].subnets(prefixlen_diff=2))
    return SubnetLayout(private=tuple(str(q) for q in quarters[:ZONES]), public=tuple(str(p) for p in public[:ZONES]))


def nat_gateway_count(config: PlatformConfig) -> int:
    # Prod: one per zone, so losing a zone never takes egress from the other two. Elsewhere one
    # shared gateway is enough and costs a third.
    return ZONES if config.is_prod else 1


def log_retention_days(config: PlatformConfig) -> int:
    # Audit and flow logs are evidence: prod keeps a year (CIS EKS Benchmark 2.1.1 asks for audit
    # logs to be collected and kept), other environments a month.
    return 365 if config.is_prod else 30


@dataclass(frozen=True)
class Network:
    vpc: aws.ec2.Vpc
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    # What private nodes need to reach the internet (image pulls, the EKS API): NAT gateways,
    # the private route tables and their associations. Nodes must not launch before them.
    egress: list[pulumi.Resource]
    # What internet-facing load balancers need (the gateway's NLB): the internet gateway, the
    # public subnets and their routes. Their Services must be deleted before these on destroy.
    ingress: list[pulumi.Resource]


def build_network(
    name: str, config: PlatformConfig, cluster_name: str, provider: aws.Provider, parent: pulumi.Resource
) -> Network:
    """The VPC and everything in it. In prod every piece is protected: replacing the network would
    replace the cluster and every load balancer with it."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, protect=config.is_prod)
    layout = subnet_layout(config.cluster.network_cidr)
    # Pinned in config or taken from the zone table once (components/config/clouds.py), never read
    # live: a zone's status changing must not re-plan the subnets (and the cluster with them).
    zones = cluster_zones("aws", config.region, config.cluster.zones)

    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=config.cluster.network_cidr,
        # Both are required for the private API endpoint's DNS name to resolve inside the VPC.
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags={"Name": cluster_name},
        opts=opts,
    )
    # The default security group is never used; with no rules it cannot be used by mistake
    # (CIS AWS Foundations Benchmark 5.4).
    aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], opts=opts)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": cluster_name}, opts=opts)
    public_routes = aws.ec2.RouteTable(
        f"{name}-public-rt",
        vpc_id=vpc.id,
        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
        tags={"Name": f"{cluster_name}-public"},
        opts=opts,
    )
    # The in-tree/cloud-controller load balancer looks for subnets tagged for this cluster and
    # role; the AWS Load Balancer Controller needs only the role tag.
    cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}

    public_subnets: list[aws.ec2.Subnet] = []
    ingress: list[pulumi.Resource] = [igw, public_routes]
    for i, cidr in enumerate(layout.public):
        subnet = aws.ec2.Subnet(
            f"{name}-public-{i}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zones[i],
            # NAT gateways and load balancers get their addresses explicitly; nothing launched
            # here should receive a public address by default.
            map_public_ip_on_launch=False,
            tags={"Name": f"{cluster_name}-public-{i}", "kubernetes.io/role/elb": "1", **cluster_tag},
            opts=opts,
        )
        public_association = aws.ec2.RouteTableAssociation(
            f"{name}-public-{i}-rta", subnet_id=subnet.id, route_table_id=public_routes.id, opts=opts
        )
        public_subnets.append(subnet)
        ingress += [subnet, public_association]

    nat_gateways = []
    for i in range(nat_gateway_count(config)):
        eip = aws.ec2.Eip(f"{name}-nat-{i}-eip", domain="vpc", tags={"Name": f"{cluster_name}-nat-{i}"}, opts=opts)
        nat_gateways.append(
            aws.ec2.NatGateway(
                f"{name}-nat-{i}",
                allocation_id=eip.id,
                subnet_id=public_subnets[i].id,
                tags={"Name": f"{cluster_name}-nat-{i}"},
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[igw])),
            )
        )

    private_subnets: list[aws.ec2.Subnet] = []
    egress: list[pulumi.Resource] = list(nat_gateways)
    for i, cidr in enumerate(layout.private):
        subnet = aws.ec2.Subnet(
            f"{name}-private-{i}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zones[i],
            map_public_ip_on_launch=False,
            tags={"Name": f"{cluster_name}-private-{i}", "kubernetes.io/role/internal-elb": "1", **cluster_tag},
            opts=opts,
        )
        routes = aws.ec2.RouteTable(
            f"{name}-private-{i}-rt",
            vpc_id=vpc.id,
            routes=[
                aws.ec2.RouteTableRouteArgs(
                    cidr_block="0.0.0.0/0", nat_gateway_id=nat_gateways[i % len(nat_gateways)].id
                )
            ],
            tags={"Name": f"{cluster_name}-private-{i}"},
            opts=opts,
        )
        association = aws.ec2.RouteTableAssociation(
            f"{name}-private-{i}-rta", subnet_id=subnet.id, route_table_id=routes.id, opts=opts
        )
        private_subnets.append(subnet)
        egress += [routes, association]

    _flow_logs(name, config, cluster_name, vpc, opts)
    return Network(
        vpc=vpc,
        private_subnet_ids=[s.id for s in private_subnets],
        public_subnet_ids=[s.id for s in public_subnets],
        egress=egress,
        ingress=ingress,
    )


def _flow_logs(
    name: str, config: PlatformConfig, cluster_name: str, vpc: aws.ec2.Vpc, opts: pulumi.ResourceOptions
) -> None:
    """Accepted and rejected traffic of the whole VPC to CloudWatch Logs (EKS Best Practices Guide,
    Security > Network security > "Log network traffic metadata"; CIS AWS Foundations 3.7)."""
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-flow-logs",
        name=f"/aws/vpc/{cluster_name}/flow-logs",
        retention_in_days=log_retention_days(config),
        opts=opts,
    )
    role = aws.iam.Role(
        f"{name}-flow-logs-role",
        assume_role_policy=service_trust_policy("vpc-flow-logs.amazonaws.com"),
        description=f"VPC flow logs of {cluster_name} to CloudWatch Logs",
        opts=opts,
    )
    aws.iam.RolePolicy(
        f"{name}-flow-logs-policy",
        role=role.id,
        policy=log_group.arn.apply(
            lambda arn: policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": [arn, f"{arn}:*"],
                    }
                ]
            )
        ),
        opts=opts,
    )
    aws.ec2.FlowLog(
        f"{name}-flow-log",
        vpc_id=vpc.id,
        traffic_type="ALL",
        log_destination_type="cloud-watch-logs",
        log_destination=log_group.arn,
        iam_role_arn=role.arn,
        tags={"Name": cluster_name},
        opts=opts,
    )
