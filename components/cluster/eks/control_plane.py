"""The EKS control plane: secrets encryption key, cluster role, audit logging, endpoint access,
access entries and the IAM OIDC provider IRSA trusts.

Operators reach the cluster through access entries (`authenticationMode: API`), never the
aws-auth ConfigMap. Cluster-admin goes to the principals the config names, `cluster.deployer`
(the role `pulumi up` runs as) and `cluster.admins`, never to whoever happens to run Pulumi: a
preview by another role changes nothing here. For narrower access (AmazonEKSViewPolicy for
on-call, AmazonEKSAdminPolicy scoped to namespaces for a team) add entries with
`aws eks create-access-entry` + `associate-access-policy`; see the EKS user guide, "Grant IAM
users access to Kubernetes with EKS access entries".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ...config import PlatformConfig
from ...config.access import Principal, admins, public_cidrs
from .iam import MANAGED_POLICY, OidcProvider, policy_document, service_trust_policy
from .network import Network, log_retention_days

# CIS EKS Benchmark 2.1.1 / EKS Best Practices Guide, Security > Detective controls: all five.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@dataclass(frozen=True)
class ControlPlane:
    cluster: aws.eks.Cluster
    oidc: OidcProvider
    deployer_access: aws.eks.AccessPolicyAssociation
    kubeconfig: pulumi.Output[str]  # secret
    account_id: pulumi.Output[str]


def build_control_plane(
    name: str,
    config: PlatformConfig,
    cluster_name: str,
    network: Network,
    provider: aws.Provider,
    parent: pulumi.Resource,
) -> ControlPlane:
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    protected = pulumi.ResourceOptions(parent=parent, provider=provider, protect=config.is_prod)

    # Envelope encryption of Secrets in etcd with a customer-managed key (CIS EKS Benchmark 5.3.1;
    # EKS Best Practices Guide, Security > Data encryption and secrets management).
    secrets_key = aws.kms.Key(
        f"{name}-secrets-key",
        description=f"Envelope encryption of Kubernetes Secrets in {cluster_name}",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        opts=protected,
    )
    aws.kms.Alias(
        f"{name}-secrets-key-alias", name=f"alias/{cluster_name}-secrets", target_key_id=secrets_key.key_id, opts=opts
    )

    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=service_trust_policy("eks.amazonaws.com"),
        description=f"EKS control plane of {cluster_name}",
        opts=opts,
    )
    role_policies = [
        aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=role.name, policy_arn=f"{MANAGED_POLICY}/AmazonEKSClusterPolicy", opts=opts
        ),
        aws.iam.RolePolicy(
            f"{name}-secrets-key-use",
            role=role.id,
            policy=secrets_key.arn.apply(secrets_key_policy),
            opts=opts,
        ),
    ]
    # Created here rather than by EKS so it has a retention period (EKS would keep logs forever).
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/eks/{cluster_name}/cluster",
        retention_in_days=log_retention_days(config),
        opts=opts,
    )

    api_access = _private_api_access(name, config, cluster_name, network, opts)
    cluster = aws.eks.Cluster(
        f"{name}-eks",
        name=cluster_name,
        version=config.cluster.kubernetes_version,
        role_arn=role.arn,
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=network.private_subnet_ids,
            # Nodes always reach the API privately. The public endpoint exists for the deploy
            # path only, open to the CIDRs it names: the authorized networks' public ranges, or,
            # with a private endpoint, the deployers' egress alone (CIS EKS Benchmark 5.4.1 and
            # 5.4.2; EKS user guide, "Cluster API server endpoint": public and private access
            # together, the public one limited to CIDR blocks).
            endpoint_private_access=True,
            endpoint_public_access=True,
            public_access_cidrs=public_access_cidrs(config),
            security_group_ids=[api_access.id],
        ),
        encryption_config=aws.eks.ClusterEncryptionConfigArgs(
            provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn), resources=["secrets"]
        ),
        enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
        access_config=aws.eks.ClusterAccessConfigArgs(
            # Access entries only, and no hidden admin for whoever created the cluster (EKS Best
            # Practices Guide, Security > Identity and Access Management: manage access with
            # access entries, do not leave the cluster creator as an invisible cluster-admin).
            authentication_mode="API",
            bootstrap_cluster_creator_admin_permissions=False,
        ),
        # No unmanaged vpc-cni/kube-proxy/coredns: addons.py installs them as pinned EKS add-ons.
        bootstrap_self_managed_addons=False,
        deletion_protection=config.is_prod,
        opts=pulumi.ResourceOptions.merge(protected, pulumi.ResourceOptions(depends_on=[log_group, *role_policies])),
    )

    deployer, others = admins(config)
    # Validated config always names a deployer on aws (components/config/access.py).
    assert deployer is not None, "cluster.deployer is required on aws"
    deployer_access = _cluster_admin(f"{name}-deployer", cluster, deployer, opts)
    for admin in others:
        _cluster_admin(f"{name}-admin-{admin.key}", cluster, admin, opts)
    # The account, for the ARNs add-on policies name; the same whichever principal runs Pulumi.
    caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider, parent=parent))

    issuer: pulumi.Output[str] = cluster.identities.apply(oidc_issuer)
    # No thumbprint list: IAM checks the issuer's TLS certificate against its trusted root CAs.
    oidc_provider = aws.iam.OpenIdConnectProvider(
        f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"], opts=opts
    )
    kubeconfig: pulumi.Output[str] = pulumi.Output.all(
        cluster.name, cluster.endpoint, cluster.certificate_authority.data
    ).apply(lambda args: kubeconfig_json(args[0], args[1], args[2], config.region))
    return ControlPlane(
        cluster=cluster,
        oidc=OidcProvider(arn=oidc_provider.arn, issuer_url=issuer),
        deployer_access=deployer_access,
        kubeconfig=pulumi.Output.secret(kubeconfig),  # type: ignore[arg-type]  # Output.secret is typed too narrowly
        account_id=caller.account_id,
    )


def public_access_cidrs(config: PlatformConfig) -> list[str]:
    """Who may use the public endpoint: the deploy path's public ranges (private ones reach the
    private endpoint through the security group below, and EKS refuses them here)."""
    if config.cluster.deploy_path == "deployer-networks":
        return list(config.cluster.deployer_networks)
    return public_cidrs(config.cluster.authorized_networks)


def _cluster_admin(
    name: str, cluster: aws.eks.Cluster, principal: Principal, opts: pulumi.ResourceOptions
) -> aws.eks.AccessPolicyAssociation:
    """An access entry for `principal` with the cluster-admin policy. Named from the config (the
    deployer, or a hash of the admin's ARN), so the same principal keeps the same resources."""
    entry = aws.eks.AccessEntry(
        f"{name}-access", cluster_name=cluster.name, principal_arn=principal.id, type="STANDARD", opts=opts
    )
    return aws.eks.AccessPolicyAssociation(
        f"{name}-admin",
        cluster_name=cluster.name,
        principal_arn=entry.principal_arn,
        policy_arn=CLUSTER_ADMIN_POLICY,
        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
        opts=opts,
    )


def _private_api_access(
    name: str, config: PlatformConfig, cluster_name: str, network: Network, opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """Lets the authorized networks (VPN, peered office ranges) reach the private endpoint: the
    cluster security group EKS creates admits only the nodes. Prod's only way in for operators
    and for the Pulumi run itself."""
    group = aws.ec2.SecurityGroup(
        f"{name}-api-access",
        vpc_id=network.vpc.id,
        description=f"HTTPS to the {cluster_name} API server from the authorized networks",
        tags={"Name": f"{cluster_name}-api-access"},
        opts=opts,
    )
    for i, cidr in enumerate(config.cluster.authorized_networks):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-api-access-{i}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=cidr,
            description="Kubernetes API",
            opts=opts,
        )
    return group


def oidc_issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity] | None) -> str:
    """The issuer URL EKS gives the cluster's service-account tokens."""
    for identity in identities or []:
        for oidc in identity.oidcs or []:
            if oidc.issuer:
                return oidc.issuer
    return ""


def secrets_key_policy(key_arn: str) -> str:
    # What EKS needs on the key to encrypt and decrypt Secrets (EKS user guide, "Encrypt
    # Kubernetes secrets with KMS on existing clusters").
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants"],
                "Resource": key_arn,
            }
        ]
    )


def kubeconfig_json(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that fetches a short-lived token with `aws eks get-token` on every use: no
    long-lived credential is stored in it or in the stack state."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--region",
                                region,
                                "--output",
                                "json",
                            ],
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )
