"""IAM documents and roles for the EKS cluster: pure functions that build policy JSON, and the
one helper that binds a Kubernetes service account to an IAM role through IRSA."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..info import BucketReadWrite, DnsRecordsWrite, Grant, KmsKeyUse, SecretsRead, ServiceAccountRef

# Every region config accepts (components/config/clouds.py) is in the commercial partition.
PARTITION = "aws"
MANAGED_POLICY = f"arn:{PARTITION}:iam::aws:policy"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

Statement = dict[str, Any]


def policy_document(statements: Sequence[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(service: str) -> str:
    """Trust for an AWS service principal (eks.amazonaws.com, ec2.amazonaws.com...)."""
    return policy_document([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def irsa_trust_policy(provider_arn: str, issuer_url: str, account: ServiceAccountRef) -> str:
    """Trust for exactly one service account through the cluster's OIDC provider. Both `sub` and
    `aud` are pinned, so no other service account of this cluster (or any other) can assume the
    role (EKS Best Practices Guide, Security > IAM > "Scope the IAM Role trust policy for IRSA")."""
    issuer = issuer_url.removeprefix("https://")
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{account.namespace}:{account.name}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ]
    )


def kms_use_statements(key_arn: str) -> list[Statement]:
    # What an envelope-encryption client needs (Vault's awskms seal, the EKS secrets provider).
    return [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": key_arn}]


# What Loki and Tempo do with their bucket's objects; Tempo tags the objects it writes
# (components/cluster/permissions.py lists each add-on's needs with its source).
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging"]


def bucket_read_write_statements(bucket: str) -> list[Statement]:
    arn = f"arn:{PARTITION}:s3:::{bucket}"
    return [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": arn},
        {"Effect": "Allow", "Action": OBJECT_ACTIONS, "Resource": f"{arn}/*"},
    ]


def secrets_read_statements(region: str, account_id: str, prefix: str) -> list[Statement]:
    arn = f"arn:{PARTITION}:secretsmanager:{region}:{account_id}:secret:{prefix}*"
    return [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": arn,
        }
    ]


def dns_records_statements(zone_id: str, record_types: Sequence[str] = ()) -> list[Statement]:
    """Change and list the records of one hosted zone (optionally only `record_types`), follow the
    change until it is in sync, and list the account's zones: ListHostedZones and GetChange take
    no zone resource in IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/
    list_amazonroute53.html), so they go on "*"; they reveal zone names only, never records."""
    change: Statement = {
        "Effect": "Allow",
        "Action": ["route53:ChangeResourceRecordSets"],
        "Resource": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
    }
    if record_types:
        change["Condition"] = {
            "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": list(record_types)}
        }
    return [
        change,
        {
            "Effect": "Allow",
            "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResource"],
            "Resource": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
        },
        {"Effect": "Allow", "Action": ["route53:GetChange"], "Resource": f"arn:{PARTITION}:route53:::change/*"},
        {"Effect": "Allow", "Action": ["route53:ListHostedZones", "route53:ListHostedZonesByName"], "Resource": "*"},
    ]


def grant_statements(grant: Grant, region: str, account_id: pulumi.Output[str]) -> pulumi.Output[list[Statement]]:
    """The policy statements one grant stands for (its resource names are still Outputs here)."""
    if isinstance(grant, KmsKeyUse):
        return grant.key.key_id.apply(kms_use_statements)
    if isinstance(grant, BucketReadWrite):
        return grant.bucket.name.apply(bucket_read_write_statements)
    if isinstance(grant, SecretsRead):
        return account_id.apply(lambda account: secrets_read_statements(region, account, grant.prefix))
    if isinstance(grant, DnsRecordsWrite):
        types = grant.record_types
        return grant.zone.zone_id.apply(lambda zone_id: dns_records_statements(zone_id, types))
    raise TypeError(f"no IAM statements for grant {grant!r}")


@dataclass(frozen=True)
class OidcProvider:
    """The cluster's IAM OIDC identity provider: what IRSA roles trust."""

    arn: pulumi.Output[str]
    issuer_url: pulumi.Output[str]


def irsa_role(
    name: str,
    oidc: OidcProvider,
    account: ServiceAccountRef,
    description: str,
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """An IAM role only `account` can assume, through IRSA."""
    trust = pulumi.Output.all(oidc.arn, oidc.issuer_url).apply(
        lambda args: irsa_trust_policy(args[0], args[1], account)
    )
    return aws.iam.Role(f"{name}-role", assume_role_policy=trust, description=description, opts=opts)
