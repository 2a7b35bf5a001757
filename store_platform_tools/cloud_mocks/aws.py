"""What AWS computes for the EKS cluster's resources, answered offline and deterministically:
ARNs, the cluster endpoint and CA, its OIDC issuer, bucket names, and the provider functions
the cluster calls (zones, caller identity)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ..mocks import call_result, computed_outputs

ACCOUNT_ID = "123456789012"
# Who runs Pulumi offline (tests swap it to show that nothing depends on it but the account).
CALLER_ROLE = "store-platform-deployer"
DEFAULT_REGION = "us-east-1"


def _digest(name: str, length: int) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def _arn(service: str, resource: str, region: str = DEFAULT_REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


@computed_outputs("aws:eks/cluster:Cluster")
def _cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("name", name)
    oidc_id = _digest(cluster, 32).upper()
    return {
        "arn": _arn("eks", f"cluster/{cluster}"),
        "endpoint": f"https://{oidc_id}.gr7.{DEFAULT_REGION}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(f"mock CA of {cluster}".encode()).decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{DEFAULT_REGION}.amazonaws.com/id/{oidc_id}"}]}],
        "status": "ACTIVE",
        # The security group EKS creates for the cluster and attaches to managed nodes.
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{_digest(cluster, 17)}"},
    }


@computed_outputs("aws:ec2/subnet:Subnet")
def _subnet(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    # EC2's id format, which Karpenter's EC2NodeClass schema checks (subnet-[0-9a-z]+).
    return {"id": f"subnet-{_digest(name, 17)}"}


@computed_outputs("aws:iam/role:Role")
def _role(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    role = inputs.get("name") or f"{name}-{_digest(name, 7)}"
    return {"name": role, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"}


@computed_outputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    url = str(inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url}"}


@computed_outputs("aws:kms/key:Key")
def _kms_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    h = _digest(name, 32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return {"keyId": key_id, "arn": _arn("kms", f"key/{key_id}")}


@computed_outputs("aws:s3/bucket:Bucket")
def _bucket(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix', name)}{_digest(name, 26)}"
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}


@computed_outputs("aws:cloudwatch/logGroup:LogGroup")
def _log_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": _arn("logs", f"log-group:{inputs.get('name', name)}")}


@computed_outputs("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


@computed_outputs("aws:eks/accessEntry:AccessEntry")
def _access_entry(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"accessEntryArn": _arn("eks", f"access-entry/{name}")}


@call_result("aws:index/getAvailabilityZones:getAvailabilityZones")
def _zones(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or DEFAULT_REGION
    return {"names": [f"{region}{zone}" for zone in "abc"]}


@call_result("aws:index/getCallerIdentity:getCallerIdentity")
def _caller(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{CALLER_ROLE}/pulumi",
        "userId": f"AROA{CALLER_ROLE.upper()}:pulumi",
        "id": ACCOUNT_ID,
    }


@call_result("aws:iam/getSessionContext:getSessionContext")
def _session_context(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "arn": args.get("arn", ""),
        "issuerArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{CALLER_ROLE}",
        "issuerId": f"AROA{CALLER_ROLE.upper()}",
        "issuerName": CALLER_ROLE,
        "sessionName": "pulumi",
        "id": args.get("arn", ""),
    }


@computed_outputs("aws:route53/zone:Zone")
def _hosted_zone(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zone_id = "Z" + _digest(str(inputs.get("name", name)), 20).upper()
    return {
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{i}.awsdns-{i:02d}.{tld}" for i, tld in enumerate(("com", "net", "org", "co.uk"))],
    }
