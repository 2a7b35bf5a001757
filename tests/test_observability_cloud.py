"""The component on a cloud cluster, before the cloud clusters exist: a stand-in ClusterInfo that
hands out buckets and identities, under Pulumi mocks. Checks who asks for object storage and
that each store's service account gets the identity bound to its bucket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.cluster import (
    Bucket,
    BucketReadWrite,
    ClusterInfo,
    Grant,
    Placement,
    ServiceAccountRef,
    WorkloadIdentity,
)
from components.config import SECRET_KEYS, Secrets, load_config
from components.observability import Observability


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.inputs[args.name] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class _CloudCluster(ClusterInfo):
    """Answers like a managed cluster: a bucket per request, an identity per service account."""

    def __init__(self) -> None:
        self.cloud, self.region, self.storage_class = "aws", "us-east-1", "gp3"
        self.name = pulumi.Output.from_input("cluster")
        self.kubeconfig = pulumi.Output.secret("kubeconfig")
        self.oidc_issuer = pulumi.Output.from_input("https://oidc")
        self.provider = k8s.Provider("cloud-k8s")
        self.system_placement = Placement(node_selector={"pool": "system"}, tolerations=[])
        self.ready = []
        self.buckets: dict[str, Bucket] = {}
        self.identities: dict[str, Sequence[Grant]] = {}

    def bucket(self, name: str, purpose: str, parent: pulumi.Resource) -> Bucket:
        self.buckets[purpose] = Bucket(
            kind="s3", name=pulumi.Output.from_input(f"{purpose}-bucket"), region=self.region
        )
        return self.buckets[purpose]

    def workload_identity(
        self, name: str, account: ServiceAccountRef, grants: Sequence[Grant], parent: pulumi.Resource
    ) -> WorkloadIdentity:
        self.identities[f"{account.namespace}/{account.name}"] = grants
        return WorkloadIdentity(pulumi.Output.from_input({"eks.amazonaws.com/role-arn": f"arn:{account.name}"}))

    def kms_key(self, name: str, purpose: str, parent: pulumi.Resource) -> None:
        return None

    def dns_zone(self, name: str, domain: str, parent: pulumi.Resource) -> None:
        return None  # these add-ons ask for no zone

    def load_balancer_annotations(self, internal: bool) -> dict[str, str]:
        return {}


@pytest.fixture
def mocks() -> _Mocks:
    recording = _Mocks()
    pulumi.runtime.set_mocks(recording, project="store-platform", stack="test", preview=False)
    return recording


def _build(environment: str) -> _CloudCluster:
    cluster = _CloudCluster()
    services = k8s.core.v1.Namespace(
        "store-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="store"),
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    secrets = Secrets({s.key: pulumi.Output.secret("s") for s in SECRET_KEYS})
    Observability("obs", load_config({"cloud": "aws"}, environment), secrets, cluster, services)
    return cluster


@pulumi.runtime.test
def test_prod_keeps_logs_and_traces_in_buckets(mocks):
    assert list(_build("prod").buckets) == ["loki", "tempo"]


@pulumi.runtime.test
def test_staging_keeps_only_logs_in_a_bucket(mocks):
    assert list(_build("staging").buckets) == ["loki"]


@pulumi.runtime.test
def test_dev_asks_for_no_bucket(mocks):
    assert _build("dev").buckets == {}


@pulumi.runtime.test
def test_each_store_reaches_its_own_bucket_through_its_service_account(mocks):
    cluster = _build("prod")
    assert set(cluster.identities) == {"monitoring/loki", "monitoring/tempo"}
    for store in ("loki", "tempo"):
        (grant,) = cluster.identities[f"monitoring/{store}"]
        assert isinstance(grant, BucketReadWrite)
        assert grant.bucket is cluster.buckets[store]


def test_loki_release_gets_the_bucket_and_the_identity(mocks):
    # The decorated program returns once every registration is done; then its inputs are read.
    pulumi.runtime.test(lambda: _build("prod"))()
    values = mocks.inputs["obs-loki"]["values"]
    assert values["deploymentMode"] == "Distributed"
    assert values["loki"]["storage"]["bucketNames"]["chunks"] == "loki-bucket"
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:loki"}
