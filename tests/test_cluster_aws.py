"""The EKS cluster under mocks: network, control plane, node groups, core add-ons, tags,
protection and stack outputs, for dev, staging and prod rendered with --cloud aws."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from components.cluster.eks.addons import ADDON_VERSIONS
from components.cluster.eks.control_plane import CONTROL_PLANE_LOG_TYPES, kubeconfig_json
from components.cluster.eks.network import subnet_layout
from components.cluster.eks.node_pools import ami_type
from components.cluster.info import SYSTEM_POOL_LABEL, SYSTEM_POOL_TAINT
from components.config.clouds import KUBERNETES_VERSIONS
from store_platform_tools.cloud_mocks.aws import _digest
from tests.rendering import of_type, one, render, render_with

STACKS = ("dev", "staging", "prod")
NON_PROD = ("dev", "staging")
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"


def aws(stack: str) -> Any:
    return render(stack, "aws")


def inputs(stack: str, type_: str, name: str | None = None) -> dict[str, Any]:
    return one(aws(stack), type_, name)["inputs"]


def subnets(stack: str, tier: str) -> list[dict[str, Any]]:
    return [r for r in of_type(aws(stack), SUBNET) if f"-{tier}-" in r["name"]]


def addon(stack: str, name: str) -> dict[str, Any]:
    return inputs(stack, ADDON, f"-{name}")


def role_trusting(stack: str, service_account: str) -> dict[str, Any]:
    found = [r for r in of_type(aws(stack), ROLE) if service_account in r["inputs"]["assumeRolePolicy"]]
    assert len(found) == 1, f"expected one role trusting {service_account}"
    return found[0]


# --- network ---------------------------------------------------------------------------------


def test_subnet_layout_gives_three_private_and_three_public_subnets_inside_the_vpc() -> None:
    layout = subnet_layout("10.40.0.0/16")
    vpc = ipaddress.ip_network("10.40.0.0/16")
    blocks = [ipaddress.ip_network(c) for c in (*layout.private, *layout.public)]
    assert len(layout.private) == len(layout.public) == 3
    assert all(b.subnet_of(vpc) for b in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_subnet_layout_gives_private_subnets_most_addresses() -> None:
    layout = subnet_layout("10.40.0.0/20")
    assert [ipaddress.ip_network(c).prefixlen for c in layout.private] == [22, 22, 22]
    assert [ipaddress.ip_network(c).prefixlen for c in layout.public] == [24, 24, 24]


@pytest.mark.parametrize("stack", STACKS)
def test_vpc_takes_the_configured_network_cidr(stack: str) -> None:
    expected = {"dev": "10.20.0.0/16", "staging": "10.30.0.0/16", "prod": "10.40.0.0/16"}[stack]
    assert inputs(stack, "aws:ec2/vpc:Vpc")["cidrBlock"] == expected


@pytest.mark.parametrize("tier", ["private", "public"])
def test_each_subnet_tier_spans_three_zones(tier: str) -> None:
    assert sorted(s["inputs"]["availabilityZone"] for s in subnets("prod", tier)) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    ]


def test_private_subnets_are_tagged_for_internal_load_balancers() -> None:
    for subnet in subnets("dev", "private"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in subnet["inputs"]["tags"]


def test_public_subnets_are_tagged_for_internet_facing_load_balancers() -> None:
    for subnet in subnets("dev", "public"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/elb"] == "1"


def test_no_subnet_gives_instances_public_addresses() -> None:
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in of_type(aws("dev"), SUBNET))


def test_control_plane_and_nodes_use_only_the_private_subnets() -> None:
    # The offline mock gives each subnet the id subnet-<digest of its name> (cloud_mocks/aws.py).
    private = sorted(f"subnet-{_digest(s['name'], 17)}" for s in subnets("prod", "private"))
    cluster_subnets = inputs("prod", CLUSTER)["vpcConfig"]["subnetIds"]
    assert sorted(cluster_subnets) == private
    for group in of_type(aws("prod"), NODE_GROUP):
        assert group["inputs"]["subnetIds"] == cluster_subnets


def test_prod_has_one_nat_gateway_per_zone() -> None:
    assert len(of_type(aws("prod"), "aws:ec2/natGateway:NatGateway")) == 3
    routes = [r for r in of_type(aws("prod"), "aws:ec2/routeTable:RouteTable") if "-private-" in r["name"]]
    assert len({r["inputs"]["routes"][0]["natGatewayId"] for r in routes}) == 3


@pytest.mark.parametrize("stack", NON_PROD)
def test_other_environments_share_one_nat_gateway(stack: str) -> None:
    assert len(of_type(aws(stack), "aws:ec2/natGateway:NatGateway")) == 1
    routes = [r for r in of_type(aws(stack), "aws:ec2/routeTable:RouteTable") if "-private-" in r["name"]]
    assert len(routes) == 3
    assert len({r["inputs"]["routes"][0]["natGatewayId"] for r in routes}) == 1


@pytest.mark.parametrize("stack", STACKS)
def test_node_groups_wait_for_the_nat_gateways_and_private_routes_of_their_subnets(stack: str) -> None:
    # Private nodes pull images and join the cluster through NAT: launched before the route
    # exists, they never become Ready and the node group fails.
    egress = [
        r["urn"]
        for r in aws(stack).resources
        if r["type"] == "aws:ec2/natGateway:NatGateway"
        or (
            r["type"] in ("aws:ec2/routeTable:RouteTable", "aws:ec2/routeTableAssociation:RouteTableAssociation")
            and "-private-" in r["name"]
        )
    ]
    assert len(egress) >= 7
    for group in of_type(aws(stack), NODE_GROUP):
        assert set(egress) <= set(group["dependencies"]), group["name"]


def test_vpc_flow_logs_record_all_traffic() -> None:
    flow_log = inputs("dev", "aws:ec2/flowLog:FlowLog")
    assert flow_log["trafficType"] == "ALL"
    assert flow_log["logDestinationType"] == "cloud-watch-logs"


def test_default_security_group_allows_nothing() -> None:
    group = inputs("dev", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group["ingress"] == [] and group["egress"] == []


# --- control plane ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_envelope_encrypted_with_a_rotating_kms_key(stack: str) -> None:
    encryption = inputs(stack, CLUSTER)["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:")
    assert inputs(stack, "aws:kms/key:Key", "-secrets-key")["enableKeyRotation"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_all_five_control_plane_log_types_are_enabled(stack: str) -> None:
    assert sorted(inputs(stack, CLUSTER)["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    assert len(CONTROL_PLANE_LOG_TYPES) == 5


def test_control_plane_logs_have_a_retention_period() -> None:
    log_group = inputs("prod", "aws:cloudwatch/logGroup:LogGroup", "-cp-logs")
    assert log_group["name"] == "/aws/eks/acme-store-prod/cluster"
    assert log_group["retentionInDays"] == 365


@pytest.mark.parametrize("stack", STACKS)
def test_access_is_by_access_entries_without_a_creator_admin(stack: str) -> None:
    access = inputs(stack, CLUSTER)["accessConfig"]
    assert access == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}


DEPLOY_ROLE = "arn:aws:iam::111122223333:role/store-deploy"
ADMIN_ROLE = "arn:aws:iam::111122223333:role/platform-admins"


def test_the_configured_deploy_role_gets_an_explicit_cluster_admin_entry(tmp_path: Any) -> None:
    result = render_with("dev", tmp_path, {"cluster": {"deployer": DEPLOY_ROLE}}, cloud="aws")
    entry = one(result, "aws:eks/accessEntry:AccessEntry", "-deployer-access")["inputs"]
    association = one(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "-deployer-admin")["inputs"]
    assert entry["principalArn"] == DEPLOY_ROLE
    assert association["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert association["accessScope"] == {"type": "cluster"}


def test_configured_admins_get_cluster_admin_entries_of_their_own(tmp_path: Any) -> None:
    result = render_with(
        "dev", tmp_path, {"cluster": {"deployer": DEPLOY_ROLE, "admins": [ADMIN_ROLE, DEPLOY_ROLE]}}, cloud="aws"
    )
    entries = sorted(
        r["inputs"]["principalArn"]
        for r in of_type(result, "aws:eks/accessEntry:AccessEntry")
        if r["inputs"].get("type") != "EC2_LINUX"  # Karpenter's node role joins the cluster, no more
    )
    assert entries == sorted([DEPLOY_ROLE, ADMIN_ROLE])  # the deployer listed again is not granted twice


def test_prod_public_endpoint_admits_only_the_deployer_networks(tmp_path: Any) -> None:
    result = render_with("prod", tmp_path, {"cluster": {"deployerNetworks": ["198.51.100.7/32"]}}, cloud="aws")
    vpc = one(result, CLUSTER)["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert (vpc["endpointPublicAccess"], vpc["publicAccessCidrs"]) == (True, ["198.51.100.7/32"])


@pytest.mark.parametrize("stack", NON_PROD)
def test_public_api_endpoint_admits_only_the_authorized_public_networks(stack: str, tmp_path: Any) -> None:
    networks = {"cluster": {"authorizedNetworks": ["198.51.100.0/28", "10.8.0.0/16"]}}
    vpc = one(render_with(stack, tmp_path, networks, cloud="aws"), CLUSTER)["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["198.51.100.0/28"]  # EKS refuses private ranges here


def test_authorized_networks_reach_the_private_endpoint_over_https() -> None:
    rule = inputs("prod", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (rule["cidrIpv4"], rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("10.0.0.0/8", "tcp", 443, 443)
    group = one(aws("prod"), "aws:ec2/securityGroup:SecurityGroup", "-api-access")
    assert rule["securityGroupId"].startswith(group["name"])
    assert [g.rsplit("-", 1)[0] for g in inputs("prod", CLUSTER)["vpcConfig"]["securityGroupIds"]] == [group["name"]]


def test_cluster_runs_the_configured_kubernetes_version(tmp_path: Any) -> None:
    result = render_with("dev", tmp_path, {"cluster": {"kubernetesVersion": "1.35"}}, cloud="aws")
    assert one(result, CLUSTER)["inputs"]["version"] == "1.35"
    assert one(result, ADDON, "-kube-proxy")["inputs"]["addonVersion"].startswith("v1.35.")


def test_oidc_provider_serves_sts_for_the_cluster_issuer() -> None:
    provider = inputs("dev", "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == aws("dev").outputs["oidcIssuer"]
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]


# --- node groups -----------------------------------------------------------------------------


def test_two_node_groups_system_and_workloads() -> None:
    labels = sorted(g["inputs"]["labels"][SYSTEM_POOL_LABEL] for g in of_type(aws("dev"), NODE_GROUP))
    assert labels == ["system", "workloads"]


def test_system_pool_is_tainted_for_platform_add_ons() -> None:
    taints = inputs("dev", NODE_GROUP, "-system")["taints"]
    assert taints == [{"key": SYSTEM_POOL_TAINT["key"], "value": SYSTEM_POOL_TAINT["value"], "effect": "NO_SCHEDULE"}]


def test_workloads_pool_is_not_tainted() -> None:
    assert inputs("dev", NODE_GROUP, "-workloads")["taints"] == []


def test_node_group_sizes_follow_the_config() -> None:
    scaling = inputs("prod", NODE_GROUP, "-workloads")["scalingConfig"]
    assert scaling == {"minSize": 3, "maxSize": 3, "desiredSize": 3}  # the floor; Karpenter adds max - min
    assert inputs("prod", NODE_GROUP, "-workloads")["instanceTypes"] == ["m7i.xlarge"]


def test_no_node_group_size_is_frozen_by_ignore_changes() -> None:
    assert all(not g["ignoreChanges"] for g in of_type(aws("dev"), NODE_GROUP))


def test_nodes_run_bottlerocket() -> None:
    assert {g["inputs"]["amiType"] for g in of_type(aws("dev"), NODE_GROUP)} == {"BOTTLEROCKET_x86_64"}


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("m7g.large", "BOTTLEROCKET_ARM_64"),
        ("c7gn.xlarge", "BOTTLEROCKET_ARM_64"),
        ("m7i.large", "BOTTLEROCKET_x86_64"),
    ],
)
def test_graviton_instance_types_get_the_arm_image(instance_type: str, expected: str) -> None:
    assert ami_type(instance_type) == expected


def test_nodes_require_imdsv2_with_a_hop_limit_of_one() -> None:
    for template in of_type(aws("dev"), "aws:ec2/launchTemplate:LaunchTemplate"):
        options = template["inputs"]["metadataOptions"]
        assert options["httpTokens"] == "required"
        assert options["httpPutResponseHopLimit"] == 1


def test_node_volumes_are_encrypted_and_sized_from_the_config() -> None:
    template = inputs("staging", "aws:ec2/launchTemplate:LaunchTemplate", "-system-lt")
    devices = {d["deviceName"]: d["ebs"] for d in template["blockDeviceMappings"]}
    assert all(ebs["encrypted"] == "true" for ebs in devices.values())
    assert devices["/dev/xvdb"]["volumeSize"] == 80


def test_node_groups_use_their_launch_templates() -> None:
    group = one(aws("dev"), NODE_GROUP, "-system")
    template = one(aws("dev"), "aws:ec2/launchTemplate:LaunchTemplate", "-system-lt")
    assert group["inputs"]["launchTemplate"]["id"].startswith(template["name"])


def test_node_role_leaves_pod_networking_to_the_cni_role() -> None:
    attachments = [
        r["inputs"]["policyArn"] for r in of_type(aws("dev"), "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]
    node_policies = [a for a in attachments if "WorkerNode" in a or "Registry" in a]
    assert len(node_policies) == 2 * 2  # the managed floor's node role and Karpenter's, the same two each
    cni = [a for a in attachments if a.endswith("/AmazonEKS_CNI_Policy")]
    assert len(cni) == 1  # on the VPC CNI's own role, below


def test_node_groups_wait_for_the_cni_and_kube_proxy() -> None:
    result = aws("dev")
    needed = {one(result, ADDON, "-vpc-cni")["urn"], one(result, ADDON, "-kube-proxy")["urn"]}
    for group in of_type(result, NODE_GROUP):
        assert needed <= set(group["dependencies"])


# --- core add-ons ----------------------------------------------------------------------------


def test_addon_versions_cover_every_kubernetes_version_aws_accepts() -> None:
    assert sorted(ADDON_VERSIONS) == sorted(KUBERNETES_VERSIONS["aws"])
    assert all(
        set(row) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"} for row in ADDON_VERSIONS.values()
    )


@pytest.mark.parametrize("minor", sorted(ADDON_VERSIONS))
def test_kube_proxy_matches_its_kubernetes_minor(minor: str) -> None:
    assert ADDON_VERSIONS[minor]["kube-proxy"].startswith(f"v{minor}.")


@pytest.mark.parametrize("name", ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"])
def test_core_addons_are_pinned_from_the_table(name: str) -> None:
    assert addon("dev", name)["addonVersion"] == ADDON_VERSIONS["1.33"][name]


def test_vpc_cni_enforces_network_policies() -> None:
    assert json.loads(addon("dev", "vpc-cni")["configurationValues"])["enableNetworkPolicy"] == "true"


@pytest.mark.parametrize(
    ("name", "service_account"),
    [("vpc-cni", "kube-system:aws-node"), ("aws-ebs-csi-driver", "kube-system:ebs-csi-controller-sa")],
)
def test_cni_and_ebs_csi_have_their_own_irsa_roles(name: str, service_account: str) -> None:
    role = role_trusting("dev", f"system:serviceaccount:{service_account}")
    assert f":role/{role['name']}-" in addon("dev", name)["serviceAccountRoleArn"]


def test_coredns_runs_on_the_system_pool() -> None:
    values = json.loads(addon("dev", "coredns")["configurationValues"])
    assert values["nodeSelector"] == {SYSTEM_POOL_LABEL: "system"}
    assert values["tolerations"] == [{**SYSTEM_POOL_TAINT, "operator": "Equal"}]


def test_ebs_csi_controller_runs_on_the_system_pool_and_its_node_plugin_everywhere() -> None:
    values = json.loads(addon("dev", "aws-ebs-csi-driver")["configurationValues"])
    assert values["controller"]["nodeSelector"] == {SYSTEM_POOL_LABEL: "system"}
    assert values["node"]["tolerateAllTaints"] is True


def test_storage_class_is_encrypted_gp3_and_the_default() -> None:
    storage_class = one(aws("dev"), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"


@pytest.mark.parametrize(("stack", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_prod_storage_class_keeps_released_volumes(stack: str, policy: str) -> None:
    assert one(aws(stack), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]["reclaimPolicy"] == policy


def test_add_ons_wait_for_the_system_nodes_and_core_add_ons_not_the_workloads_nodes() -> None:
    result = aws("dev")
    deps = set(one(result, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")["dependencies"])
    assert {r["urn"] for r in of_type(result, ADDON)} <= deps
    assert one(result, NODE_GROUP, "nodes-system")["urn"] in deps
    assert one(result, NODE_GROUP, "nodes-workloads")["urn"] not in deps


# --- protection, tags, provider --------------------------------------------------------------


def protected(stack: str) -> set[str]:
    return {r["type"] for r in aws(stack).resources if r["protect"]}


def test_prod_protects_cluster_kms_key_and_network() -> None:
    assert {CLUSTER, "aws:kms/key:Key", "aws:ec2/vpc:Vpc", SUBNET, "aws:ec2/natGateway:NatGateway"} <= protected("prod")
    assert inputs("prod", CLUSTER)["deletionProtection"] is True


@pytest.mark.parametrize("stack", NON_PROD)
def test_other_environments_protect_nothing(stack: str) -> None:
    assert protected(stack) == set()


def test_aws_provider_sets_region_and_standard_tags() -> None:
    provider = inputs("staging", "pulumi:providers:aws")
    assert provider["region"] == "us-east-1"
    assert json.loads(provider["defaultTags"])["tags"] == {
        "project": "acme-store",
        "environment": "staging",
        "managed-by": "pulumi",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_uses_the_tagged_explicit_provider(stack: str) -> None:
    provider = one(aws(stack), "pulumi:providers:aws")["urn"]
    resources = [r for r in aws(stack).resources if r["type"].startswith("aws:")]
    assert resources
    assert all(r["provider"] == provider for r in resources)


def test_instances_volumes_and_interfaces_carry_the_standard_tags() -> None:
    template = inputs("dev", "aws:ec2/launchTemplate:LaunchTemplate", "-workloads-lt")
    kinds = {spec["resourceType"]: spec["tags"] for spec in template["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    assert all(tags["environment"] == "dev" and tags["managed-by"] == "pulumi" for tags in kinds.values())


# --- stack outputs and preview ---------------------------------------------------------------


def test_stack_outputs_name_region_issuer_and_a_secret_kubeconfig() -> None:
    outputs = aws("prod").outputs
    assert outputs["clusterName"] == "acme-store-prod"
    assert outputs["region"] == "us-east-1"
    assert outputs["oidcIssuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert outputs["kubeconfig"] == "[secret]"


def test_kubeconfig_gets_short_lived_tokens_from_aws_eks_get_token() -> None:
    config = json.loads(kubeconfig_json("c1", "https://api.example", "Q0E=", "eu-west-1"))
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "c1", "--region", "eu-west-1", "--output", "json"]
    assert "token" not in config["users"][0]["user"]


def test_kubernetes_provider_waits_for_the_deployer_access() -> None:
    result = aws("dev")
    provider = one(result, "pulumi:providers:kubernetes")
    assert one(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")["urn"] in provider["dependencies"]


@pytest.mark.parametrize("stack", STACKS)
def test_preview_declares_the_same_resources(stack: str) -> None:
    previewed = {r["urn"] for r in render(stack, "aws", preview=True).resources}
    assert previewed == {r["urn"] for r in aws(stack).resources}
