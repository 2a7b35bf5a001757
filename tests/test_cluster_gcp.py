"""The GKE cluster component: hardening settings, prod vs non-prod, labels, facilities, outputs."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pytest
import yaml

import components.program
from components.cluster import (
    SYSTEM_POOL_LABEL,
    SYSTEM_POOL_TAINT,
    BucketReadWrite,
    ClusterInfo,
    KmsKeyUse,
    SecretsRead,
    ServiceAccountRef,
    create_cluster,
)
from components.cluster.gke.cluster import CLUSTER_ADMIN_ROLE
from components.cluster.gke.kubeconfig import kubeconfig
from components.cluster.gke.names import gcp_name, service_account_id
from components.cluster.gke.network import address_plan
from components.config import ConfigError, load_config, read_stack_config
from components.config.clouds import gke_node_capacity
from components.security.flows import FLOWS
from components.webhooks import webhook_ports
from store_platform_tools.render import RenderResult, run_program
from store_platform_tools.stackfile import load_stack
from tests.rendering import ROOT, of_type, one, render, render_with

CLOUD_STACKS = ("dev", "staging", "prod")
TAGS = {"project": "acme-store", "managed-by": "pulumi"}
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
SERVICE_IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
SERVICE = "gcp:projects/service:Service"
FIREWALL = "gcp:compute/firewall:Firewall"
NAT = "gcp:compute/routerNat:RouterNat"
ADDRESS = "gcp:compute/address:Address"
BUCKET = "gcp:storage/bucket:Bucket"
# Where each labelled GCP resource type keeps its labels.
LABELS_AT = {
    CLUSTER: ("resourceLabels",),
    NODE_POOL: ("nodeConfig", "resourceLabels"),
    CRYPTO_KEY: ("labels",),
    ADDRESS: ("labels",),
    BUCKET: ("labels",),
}


def gke(stack: str) -> RenderResult:
    return render(stack, "gcp")


def cluster_inputs(stack: str) -> dict[str, Any]:
    return one(gke(stack), CLUSTER)["inputs"]


def pools(stack: str) -> dict[str, dict[str, Any]]:
    # Pool names are versioned (`<role>-<hash>`, pool_versions.py): keyed by role here.
    return {r["inputs"]["name"].rsplit("-", 1)[0]: r for r in of_type(gke(stack), NODE_POOL)}


def project_of(stack: str) -> str:
    """The GCP project a shipped stack deploys into: its own, `<project>-<environment>`."""
    return f"acme-store-{stack}"


def key_ring_name(stack: str) -> str:
    """The ring's name as rendered: outside prod it ends in the random suffix (keys.py)."""
    (ring,) = of_type(gke(stack), "gcp:kms/keyRing:KeyRing")
    return str(ring["inputs"]["name"])


def key_id(stack: str, key: str) -> str:
    return f"projects/{project_of(stack)}/locations/us-central1/keyRings/{key_ring_name(stack)}/cryptoKeys/{key}"


def email_of(account: dict[str, Any]) -> str:
    return f"{account['inputs']['accountId']}@{account['inputs']['project']}.iam.gserviceaccount.com"


def labels_of(resource: dict[str, Any]) -> dict[str, str]:
    value: Any = resource["inputs"]
    for key in LABELS_AT[resource["type"]]:
        value = value[key]
    return value


# --- pure pieces -------------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "10.30.0.0/20"])
def test_address_plan_ranges_lie_inside_the_network_without_overlapping(cidr: str) -> None:
    plan = address_plan(cidr)
    ranges = [ipaddress.IPv4Network(r) for r in (plan.nodes, plan.pods, plan.services)]
    assert all(r.subnet_of(ipaddress.IPv4Network(cidr)) for r in ranges)
    assert not any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])


def test_address_plan_gives_pods_half_the_network() -> None:
    assert address_plan("10.40.0.0/16").pods == "10.40.0.0/17"


def test_gcp_name_cut_to_limit_keeps_long_names_distinct() -> None:
    a, b = gcp_name("x" * 80 + "-loki"), gcp_name("x" * 80 + "-tempo")
    assert len(a) <= 63 and len(b) <= 63 and a != b


def test_gcp_name_starts_with_a_letter_and_is_lowercase() -> None:
    assert gcp_name("9 Vault_Unseal") == "x-9-vault-unseal"


def test_service_account_id_fits_iam_length_limits() -> None:
    assert 6 <= len(service_account_id("staging-observability-opentelemetry-collector")) <= 30
    assert len(service_account_id("ab")) == 6


def test_kubeconfig_authenticates_through_the_gke_auth_plugin_only() -> None:
    document = yaml.safe_load(kubeconfig("c", "203.0.113.10", "Q0E="))
    user = document["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert document["clusters"][0]["cluster"]["server"] == "https://203.0.113.10"


# --- control plane -----------------------------------------------------------------------


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_cluster_is_regional_over_three_zones(stack: str) -> None:
    inputs = cluster_inputs(stack)
    assert inputs["location"] == "us-central1"
    assert len(inputs["nodeLocations"]) == 3
    assert all(zone.startswith("us-central1-") for zone in inputs["nodeLocations"])


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_cluster_is_vpc_native_on_the_subnet_secondary_ranges(stack: str) -> None:
    inputs = cluster_inputs(stack)
    subnet = one(gke(stack), "gcp:compute/subnetwork:Subnetwork")["inputs"]
    range_names = {r["rangeName"] for r in subnet["secondaryIpRanges"]}
    policy = inputs["ipAllocationPolicy"]
    assert inputs["networkingMode"] == "VPC_NATIVE"
    assert {policy["clusterSecondaryRangeName"], policy["servicesSecondaryRangeName"]} == range_names


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_subnet_has_flow_logs_and_private_google_access(stack: str) -> None:
    subnet = one(gke(stack), "gcp:compute/subnetwork:Subnetwork")["inputs"]
    assert subnet["privateIpGoogleAccess"] is True
    assert subnet["logConfig"]["flowSampling"] > 0


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_nodes_are_private_in_every_environment(stack: str) -> None:
    assert cluster_inputs(stack)["privateClusterConfig"]["enablePrivateNodes"] is True


@pytest.mark.parametrize(("stack", "private"), [("dev", False), ("staging", False), ("prod", True)])
def test_api_endpoint_is_private_only_in_prod(stack: str, private: bool) -> None:
    assert cluster_inputs(stack)["privateClusterConfig"]["enablePrivateEndpoint"] is private


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_master_authorized_networks_come_from_config_and_cover_the_private_endpoint(stack: str) -> None:
    networks = cluster_inputs(stack)["masterAuthorizedNetworksConfig"]
    expected = ["10.0.0.0/8"] if stack == "prod" else []  # dev and staging come in by the DNS endpoint
    assert [b["cidrBlock"] for b in networks.get("cidrBlocks", [])] == expected
    assert networks["gcpPublicCidrsAccessEnabled"] is False
    assert networks["privateEndpointEnforcementEnabled"] is True


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_dataplane_v2_is_the_datapath(stack: str) -> None:
    assert cluster_inputs(stack)["datapathProvider"] == "ADVANCED_DATAPATH"


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_workload_identity_pool_is_the_environments_own_projects(stack: str) -> None:
    assert cluster_inputs(stack)["workloadIdentityConfig"]["workloadPool"] == f"acme-store-{stack}.svc.id.goog"


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_cluster_follows_the_regular_release_channel_from_the_configured_minor(stack: str) -> None:
    inputs = cluster_inputs(stack)
    assert inputs["releaseChannel"]["channel"] == "REGULAR"
    assert inputs["minMasterVersion"] == "1.33"


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_shielded_nodes_are_enabled(stack: str) -> None:
    assert cluster_inputs(stack)["enableShieldedNodes"] is True


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_secrets_in_etcd_are_encrypted_with_the_clusters_kms_key(stack: str) -> None:
    encryption = cluster_inputs(stack)["databaseEncryption"]
    assert one(gke(stack), CRYPTO_KEY, "etcd-key")["inputs"]["name"] == "gke-etcd-secrets"
    assert encryption == {"state": "ENCRYPTED", "keyName": key_id(stack, "gke-etcd-secrets")}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_gke_service_agent_may_use_the_etcd_key_before_the_cluster_is_created(stack: str) -> None:
    grant = one(gke(stack), KEY_GRANT, "etcd-key-gke-agent")
    assert grant["inputs"]["member"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    )
    assert grant["inputs"]["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert grant["urn"] in one(gke(stack), CLUSTER)["dependencies"]


@pytest.mark.parametrize(
    ("key", "service"), [("etcd-key-gke-agent", "container"), ("disk-key-compute-agent", "compute")]
)
def test_key_grants_go_to_the_service_identity_the_provider_creates(key: str, service: str) -> None:
    # A hand-built service-agent address may not exist yet right after its API is enabled.
    agent = one(gke("dev"), SERVICE_IDENTITY, f"{service}-agent")
    assert agent["inputs"] == {"project": "acme-store-dev", "service": f"{service}.googleapis.com"}
    assert agent["urn"] in one(gke("dev"), KEY_GRANT, key)["dependencies"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_default_node_pool_is_removed(stack: str) -> None:
    assert cluster_inputs(stack)["removeDefaultNodePool"] is True


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_maintenance_window_recurs_weekly(stack: str) -> None:
    window = cluster_inputs(stack)["maintenancePolicy"]["recurringWindow"]
    assert window["recurrence"].startswith("FREQ=WEEKLY")
    assert window["startTime"] < window["endTime"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_legacy_authentication_is_off(stack: str) -> None:
    inputs = cluster_inputs(stack)
    assert inputs["enableLegacyAbac"] is False
    assert inputs["masterAuth"]["clientCertificateConfig"]["issueClientCertificate"] is False


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("staging", False), ("prod", True)])
def test_deletion_protection_only_in_prod(stack: str, protected: bool) -> None:
    assert cluster_inputs(stack)["deletionProtection"] is protected


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("staging", False), ("prod", True)])
def test_cluster_and_keys_are_protected_only_in_prod(stack: str, protected: bool) -> None:
    result = gke(stack)
    for type_ in (CLUSTER, CRYPTO_KEY, "gcp:kms/keyRing:KeyRing"):
        assert {r["protect"] for r in of_type(result, type_)} == {protected}, type_


# --- network egress ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_non_prod_nat_uses_automatic_addresses(stack: str) -> None:
    assert one(gke(stack), NAT)["inputs"]["natIpAllocateOption"] == "AUTO_ONLY"
    assert of_type(gke(stack), ADDRESS) == []


def test_prod_nat_egresses_from_reserved_protected_addresses() -> None:
    nat = one(gke("prod"), NAT)["inputs"]
    addresses = of_type(gke("prod"), ADDRESS)
    assert nat["natIpAllocateOption"] == "MANUAL_ONLY"
    assert [link.rsplit("/", 1)[-1] for link in nat["natIps"]] == [a["inputs"]["name"] for a in addresses]
    assert len(addresses) == 2 and all(a["protect"] for a in addresses)


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_nat_serves_every_subnet_range(stack: str) -> None:
    assert one(gke(stack), NAT)["inputs"]["sourceSubnetworkIpRangesToNat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"


# --- node pools --------------------------------------------------------------------------


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_run_as_a_dedicated_service_account(stack: str) -> None:
    account = one(gke(stack), "gcp:serviceaccount/account:Account", "store-cluster-node-sa")
    assert {p["inputs"]["nodeConfig"]["serviceAccount"] for p in pools(stack).values()} == {email_of(account)}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_service_account_holds_only_the_default_node_role(stack: str) -> None:
    roles = of_type(gke(stack), "gcp:projects/iAMMember:IAMMember")
    node_account = one(gke(stack), "gcp:serviceaccount/account:Account", "-node-sa")
    held = [r["inputs"]["role"] for r in roles if node_account["inputs"]["accountId"] in r["inputs"]["member"]]
    assert held == ["roles/container.defaultNodeServiceAccount"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_use_the_gke_metadata_server(stack: str) -> None:
    modes = {p["inputs"]["nodeConfig"]["workloadMetadataConfig"]["mode"] for p in pools(stack).values()}
    assert modes == {"GKE_METADATA"}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_run_container_optimized_os_with_containerd(stack: str) -> None:
    assert {p["inputs"]["nodeConfig"]["imageType"] for p in pools(stack).values()} == {"COS_CONTAINERD"}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_boot_securely_with_integrity_monitoring(stack: str) -> None:
    for pool in pools(stack).values():
        shielded = pool["inputs"]["nodeConfig"]["shieldedInstanceConfig"]
        assert shielded == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_repair_and_upgrade_themselves(stack: str) -> None:
    for pool in pools(stack).values():
        assert pool["inputs"]["management"] == {"autoRepair": True, "autoUpgrade": True}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_boot_disks_are_encrypted_with_the_disk_key(stack: str) -> None:
    disk_key = key_id(stack, "gke-disks")
    assert {p["inputs"]["nodeConfig"]["bootDiskKmsKey"] for p in pools(stack).values()} == {disk_key}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_size_from_config_as_totals(stack: str) -> None:
    expected = {"dev": (1, 2), "staging": (2, 3), "prod": (3, 4)}[stack]
    scaling = pools(stack)["system"]["inputs"]["autoscaling"]
    assert (scaling["totalMinNodeCount"], scaling["totalMaxNodeCount"]) == expected


def test_machine_types_are_translated_to_gcp() -> None:
    assert pools("prod")["workloads"]["inputs"]["nodeConfig"]["machineType"] == "n2-standard-4"


def test_system_pool_is_labelled_and_tainted() -> None:
    config = pools("dev")["system"]["inputs"]["nodeConfig"]
    assert config["labels"] == {SYSTEM_POOL_LABEL: "system"}
    assert config["taints"] == [{"key": SYSTEM_POOL_TAINT["key"], "value": "system", "effect": "NO_SCHEDULE"}]


def test_workloads_pool_is_not_tainted() -> None:
    assert pools("dev")["workloads"]["inputs"]["nodeConfig"]["taints"] == []


# --- provider, labels, APIs --------------------------------------------------------------


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_gcp_provider_names_project_region_and_default_labels(stack: str) -> None:
    provider = one(gke(stack), "pulumi:providers:gcp")
    assert provider["inputs"]["project"] == project_of(stack)
    assert provider["inputs"]["region"] == "us-central1"
    assert yaml.safe_load(provider["inputs"]["defaultLabels"]) == {**TAGS, "environment": stack}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_every_gcp_resource_uses_the_explicit_provider(stack: str) -> None:
    provider = one(gke(stack), "pulumi:providers:gcp")["urn"]
    gcp_resources = [r for r in gke(stack).resources if r["type"].startswith("gcp:")]
    assert gcp_resources and {r["provider"] for r in gcp_resources} == {provider}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_every_labelled_resource_carries_the_standard_labels_in_lowercase(stack: str) -> None:
    labelled = [r for r in gke(stack).resources if r["type"] in LABELS_AT]
    assert {r["type"] for r in labelled} >= {CLUSTER, NODE_POOL, CRYPTO_KEY}
    for resource in labelled:
        labels = labels_of(resource)
        assert labels.items() >= {**TAGS, "environment": stack}.items(), resource["name"]
        assert all(k == k.lower() and v == v.lower() for k, v in labels.items()), resource["name"]


def test_apis_are_enabled_and_left_enabled_on_destroy() -> None:
    services = of_type(gke("dev"), "gcp:projects/service:Service")
    assert {"container.googleapis.com", "cloudkms.googleapis.com"} <= {s["inputs"]["service"] for s in services}
    assert {s["inputs"]["disableOnDestroy"] for s in services} == {False}


# --- storage class, outputs, preview -----------------------------------------------------


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_storage_class_encrypts_volumes_with_the_disk_key(stack: str) -> None:
    storage_class = one(gke(stack), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]
    disk_key = key_id(stack, "gke-disks")
    assert storage_class["provisioner"] == "pd.csi.storage.gke.io"
    assert storage_class["parameters"]["disk-encryption-kms-key"] == disk_key


@pytest.mark.parametrize(("stack", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_prod_volumes_outlive_their_claims(stack: str, policy: str) -> None:
    assert one(gke(stack), "kubernetes:storage.k8s.io/v1:StorageClass")["inputs"]["reclaimPolicy"] == policy


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_kubeconfig_output_is_secret(stack: str) -> None:
    assert gke(stack).outputs["kubeconfig"] == "[secret]"


def test_outputs_name_the_cluster_region_and_oidc_issuer() -> None:
    outputs = gke("prod").outputs
    assert outputs["clusterName"] == "acme-store-prod"
    assert outputs["region"] == "us-central1"
    assert outputs["oidcIssuer"] == (
        "https://container.googleapis.com/v1/projects/acme-store-prod/locations/us-central1/clusters/acme-store-prod"
    )


def test_kubernetes_provider_depends_on_the_cluster() -> None:
    provider = one(gke("dev"), "pulumi:providers:kubernetes")
    assert one(gke("dev"), CLUSTER)["urn"] in provider["dependencies"]


def test_add_ons_wait_for_the_system_pool_but_not_the_workloads_pool() -> None:
    deps = set(one(gke("dev"), "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack")["dependencies"])
    assert pools("dev")["system"]["urn"] in deps and pools("dev")["workloads"]["urn"] not in deps


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_preview_declares_the_same_resources(stack: str) -> None:
    preview = render(stack, "gcp", preview=True)
    assert [r["urn"] for r in preview.resources] == [r["urn"] for r in gke(stack).resources]


# --- facilities, called from a small add-on under mocks ----------------------------------


class _AddOn(pulumi.ComponentResource):
    """Uses every facility the way Vault and Loki do."""

    def __init__(self, name: str, cluster: ClusterInfo):
        super().__init__("test:addon:AddOn", name, None, None)
        key = cluster.kms_key(f"{name}-seal", "vault-unseal", self)
        bucket = cluster.bucket(f"{name}-store", "loki-chunks", self)
        assert key and bucket
        self.seal_config = key.seal_config
        self.identity = cluster.workload_identity(
            f"{name}-identity",
            ServiceAccountRef("observability", "loki"),
            [KmsKeyUse(key), BucketReadWrite(bucket)],
            self,
        )
        self.register_outputs({})


def _facilities(stack: str, monkeypatch: pytest.MonkeyPatch, grants_secrets: bool = False) -> RenderResult:
    def build() -> dict[str, pulumi.Input[object]]:
        config, _ = read_stack_config()
        cluster = create_cluster("store-cluster", config)
        if grants_secrets:
            cluster.workload_identity("x", ServiceAccountRef("a", "b"), [SecretsRead("store/")], cluster)  # type: ignore[arg-type]
        addon = _AddOn("addon", cluster)
        return {
            "seal": addon.seal_config,
            "annotations": addon.identity.service_account_annotations,
            "placement": {"nodeSelector": cluster.system_placement.node_selector},
            "tolerations": cluster.system_placement.tolerations,
            "internalLb": cluster.load_balancer_annotations(internal=True),
        }

    monkeypatch.setattr(components.program, "build_platform", build)
    return run_program(load_stack(ROOT, stack, cloud="gcp"))


@pytest.fixture(scope="module")
def facilities() -> dict[str, RenderResult]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return {stack: _facilities(stack, monkeypatch) for stack in ("dev", "prod")}


def test_kms_key_returns_the_gcpckms_seal_parameters(facilities: dict[str, RenderResult]) -> None:
    assert facilities["dev"].outputs["seal"] == {
        "project": "acme-store-dev",
        "region": "us-central1",
        "key_ring": key_ring_name("dev"),
        "crypto_key": "vault-unseal",
    }


def test_workload_identity_annotates_the_service_account_with_the_google_account(
    facilities: dict[str, RenderResult],
) -> None:
    account = one(facilities["dev"], "gcp:serviceaccount/account:Account", "addon-identity-gsa")
    assert facilities["dev"].outputs["annotations"] == {"iam.gke.io/gcp-service-account": email_of(account)}


def test_workload_identity_binds_exactly_the_kubernetes_service_account(facilities: dict[str, RenderResult]) -> None:
    binding = one(facilities["dev"], "gcp:serviceaccount/iAMMember:IAMMember")
    assert binding["inputs"]["role"] == "roles/iam.workloadIdentityUser"
    assert binding["inputs"]["member"] == "serviceAccount:acme-store-dev.svc.id.goog[observability/loki]"
    assert one(facilities["dev"], CLUSTER)["urn"] in binding["dependencies"]


def test_kms_grant_lets_the_identity_use_the_key(facilities: dict[str, RenderResult]) -> None:
    result = facilities["dev"]
    member = "serviceAccount:" + email_of(one(result, "gcp:serviceaccount/account:Account", "addon-identity-gsa"))
    grants = [g["inputs"] for g in of_type(result, KEY_GRANT) if g["inputs"]["member"] == member]
    assert {g["role"] for g in grants} == {"roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.viewer"}
    assert {g["cryptoKeyId"] for g in grants} == {key_id("dev", "vault-unseal")}


def test_bucket_grant_lets_the_identity_read_the_bucket_and_read_and_write_objects(
    facilities: dict[str, RenderResult],
) -> None:
    # Tempo reads the bucket's attributes at start-up (storage.buckets.get), which
    # roles/storage.objectAdmin lacks; both roles are granted on the one bucket only.
    result = facilities["dev"]
    grants = [g["inputs"] for g in of_type(result, "gcp:storage/bucketIAMMember:BucketIAMMember")]
    assert {g["role"] for g in grants} == {"roles/storage.objectAdmin", "roles/storage.legacyBucketReader"}
    assert {g["bucket"] for g in grants} == {one(result, BUCKET)["inputs"]["name"]}


def test_bucket_is_private_and_ages_out_its_objects(facilities: dict[str, RenderResult]) -> None:
    bucket = one(facilities["dev"], BUCKET)["inputs"]
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["uniformBucketLevelAccess"] is True
    assert {"type": "Delete"} in [rule["action"] for rule in bucket["lifecycleRules"]]


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_bucket_and_addon_keys_are_protected_only_in_prod(
    facilities: dict[str, RenderResult], stack: str, protected: bool
) -> None:
    assert one(facilities[stack], BUCKET)["protect"] is protected
    assert one(facilities[stack], CRYPTO_KEY, "addon-seal-kms-key")["protect"] is protected


def test_facility_resources_are_parented_under_the_addon(facilities: dict[str, RenderResult]) -> None:
    addon = one(facilities["dev"], "test:addon:AddOn")["urn"]
    for type_ in (BUCKET, "gcp:serviceaccount/account:Account"):
        parents = {r["parent"] for r in of_type(facilities["dev"], type_) if "addon" in r["name"]}
        assert parents == {addon}


def test_system_placement_matches_the_system_pool_taint(facilities: dict[str, RenderResult]) -> None:
    outputs = facilities["dev"].outputs
    assert outputs["placement"] == {"nodeSelector": {SYSTEM_POOL_LABEL: "system"}}
    assert outputs["tolerations"] == [{**SYSTEM_POOL_TAINT, "operator": "Equal"}]


def test_internal_load_balancer_annotation(facilities: dict[str, RenderResult]) -> None:
    assert facilities["dev"].outputs["internalLb"] == {"networking.gke.io/load-balancer-type": "Internal"}


def test_secrets_read_grant_is_refused_on_gcp(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="SecretsRead reads AWS Secrets Manager"):
        _facilities("dev", monkeypatch, grants_secrets=True)


# --- config rule: room for pod addresses -------------------------------------------------


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "10.30.0.0/20"])
def test_gke_node_capacity_matches_the_address_plan(cidr: str) -> None:
    pods = ipaddress.IPv4Network(address_plan(cidr).pods)
    assert gke_node_capacity(ipaddress.IPv4Network(cidr).prefixlen) == pods.num_addresses // 256


def test_config_rejects_a_network_too_small_for_the_gke_node_pools() -> None:
    raw = {"cloud": "gcp", "region": "us-central1", "cluster": {"networkCidr": "10.30.0.0/20"}}
    with pytest.raises(ConfigError) as error:
        load_config(raw, "prod")  # prod pools may grow to 4 + 12 nodes; a /20 holds 8
    assert [p.path for p in error.value.problems] == ["platform.cluster.networkCidr"]
    assert "use a /19 block or larger" in str(error.value)


def test_config_accepts_the_default_gke_network() -> None:
    assert load_config({"cloud": "gcp", "region": "us-central1"}, "prod").cluster.network_cidr == "10.40.0.0/16"


def test_facility_resources_carry_the_standard_labels(facilities: dict[str, RenderResult]) -> None:
    for type_ in (BUCKET, CRYPTO_KEY):
        for resource in of_type(facilities["prod"], type_):
            assert labels_of(resource).items() >= {**TAGS, "environment": "prod"}.items(), resource["name"]


# --- issue 12: what the real GCP APIs would reject or break ---------------------------------

# The API each GCP resource type calls when it is created (the cluster's and the add-ons').
API_OF = {
    "gcp:serviceaccount/account:Account": "iam.googleapis.com",
    "gcp:serviceaccount/iAMMember:IAMMember": "iam.googleapis.com",
    "gcp:projects/iAMMember:IAMMember": "cloudresourcemanager.googleapis.com",
    "gcp:storage/bucket:Bucket": "storage.googleapis.com",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "storage.googleapis.com",
    "gcp:kms/keyRing:KeyRing": "cloudkms.googleapis.com",
    KEY_GRANT: "cloudkms.googleapis.com",
    CLUSTER: "container.googleapis.com",
    "gcp:compute/network:Network": "compute.googleapis.com",
    FIREWALL: "compute.googleapis.com",
    SERVICE_IDENTITY: "serviceusage.googleapis.com",
}


def _closure(result: RenderResult, urn: str) -> set[str]:
    """Every resource `urn` waits for, directly or through others."""
    by_urn = {r["urn"]: r for r in result.resources}
    seen: set[str] = set()
    todo = list(by_urn[urn]["dependencies"])
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(by_urn[dep]["dependencies"] if dep in by_urn else [])
    return seen


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_waits_for_the_api_it_calls(stack: str) -> None:
    # In a fresh project the APIs are enabled in the same run: a call before that is SERVICE_DISABLED.
    result = gke(stack)
    services = {s["inputs"]["service"]: s["urn"] for s in of_type(result, SERVICE)}
    checked = [r for r in result.resources if r["type"] in API_OF]
    assert {r["type"] for r in checked} >= {"gcp:serviceaccount/account:Account", KEY_GRANT, CLUSTER}
    for resource in checked:
        api = API_OF[resource["type"]]
        if api in services:  # serviceusage is on in every project
            assert services[api] in _closure(result, resource["urn"]), (resource["name"], api)


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_webhook_firewall_opens_every_webhook_port_from_the_control_plane_to_the_nodes(stack: str) -> None:
    firewall = one(gke(stack), FIREWALL)["inputs"]
    node_account = one(gke(stack), "gcp:serviceaccount/account:Account", "store-cluster-node-sa")
    assert firewall["direction"] == "INGRESS"
    assert firewall["sourceRanges"] == ["10.255.0.2/32"]  # the mock cluster's control-plane endpoint
    assert firewall["targetServiceAccounts"] == [email_of(node_account)]
    # Istio's injector, Gatekeeper, the Vault injector, External Secrets, the Prometheus Operator.
    assert firewall["allows"] == [{"protocol": "tcp", "ports": ["8080", "8443", "10250", "15017"]}]


def test_webhook_firewall_follows_the_mesh(tmp_path: Any) -> None:
    linkerd = render_with("dev", tmp_path, {"mesh": {"provider": "linkerd"}}, cloud="gcp")
    assert one(linkerd, FIREWALL)["inputs"]["allows"][0]["ports"] == ["8080", "8443", "9443", "10250"]


def test_webhook_ports_come_from_the_one_table_the_network_policies_use() -> None:
    config = load_config({"cloud": "gcp"}, "prod")
    opened = {port for flow in FLOWS if flow.name == "allow-webhook" and flow.when(config) for _, port in flow.ports}
    assert opened == set(webhook_ports(config))


def test_add_ons_wait_for_the_webhook_firewall() -> None:
    firewall = one(gke("dev"), FIREWALL)["urn"]
    assert firewall in one(gke("dev"), "kubernetes:helm.sh/v3:Release", "gatekeeper")["dependencies"]


def test_webhook_firewall_source_is_unknown_in_preview() -> None:
    assert one(render("dev", "gcp", preview=True), FIREWALL)["inputs"]["sourceRanges"] == ["[unknown]"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_temporary_default_pool_runs_hardened_as_the_node_account_on_cmek_disks(stack: str) -> None:
    inputs = cluster_inputs(stack)
    node_account = one(gke(stack), "gcp:serviceaccount/account:Account", "store-cluster-node-sa")
    default_pool = inputs["nodeConfig"]
    assert default_pool["serviceAccount"] == email_of(node_account)
    assert default_pool["bootDiskKmsKey"] == key_id(stack, "gke-disks")
    assert default_pool["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert default_pool["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_default_pool_settings_never_replace_the_cluster() -> None:
    cluster = one(gke("prod"), CLUSTER)
    assert "nodeConfig" in cluster["ignoreChanges"]
    disk_grant = one(gke("prod"), KEY_GRANT, "disk-key-compute-agent")["urn"]
    assert disk_grant in cluster["dependencies"]


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_node_pools_wait_for_cloud_nat(stack: str) -> None:
    nat = one(gke(stack), NAT)["urn"]
    for pool in pools(stack).values():
        assert nat in pool["dependencies"], pool["name"]


def _workload_identity_members(result: RenderResult) -> set[str]:
    bindings = of_type(result, "gcp:serviceaccount/iAMMember:IAMMember")
    return {b["inputs"]["member"] for b in bindings if b["inputs"]["role"] == "roles/iam.workloadIdentityUser"}


def test_dev_and_prod_share_no_workload_identity_member() -> None:
    dev, prod = _workload_identity_members(gke("dev")), _workload_identity_members(gke("prod"))
    assert dev and prod
    assert dev.isdisjoint(prod)


def test_dev_and_prod_share_no_google_account_or_bucket() -> None:
    def accounts(result: RenderResult) -> set[str]:
        return {email_of(a) for a in of_type(result, "gcp:serviceaccount/account:Account")}

    def buckets(result: RenderResult) -> set[str]:
        return {b["inputs"]["name"] for b in of_type(result, BUCKET)}

    assert accounts(gke("dev")).isdisjoint(accounts(gke("prod")))
    assert buckets(gke("dev")).isdisjoint(buckets(gke("prod")))


def test_a_shared_project_still_gives_each_environment_its_own_accounts_scoped_to_its_resources(
    tmp_path: Any,
) -> None:
    shared = {"gcpProject": "acme-store-shared"}
    (tmp_path / "dev").mkdir()
    (tmp_path / "prod").mkdir()
    dev = render_with("dev", tmp_path / "dev", shared, cloud="gcp")
    prod = render_with("prod", tmp_path / "prod", shared, cloud="gcp")
    gsa = "gcp:serviceaccount/account:Account"
    assert {email_of(a) for a in of_type(dev, gsa)}.isdisjoint({email_of(a) for a in of_type(prod, gsa)})
    # Add-on grants are on the one key, bucket or zone, never project-wide: besides the cluster
    # admins the config names, only the node account holds a project role, and external-dns a
    # custom role of the one permission Cloud DNS grants only per project (listing zone names).
    project_roles = of_type(prod, "gcp:projects/iAMMember:IAMMember")
    custom = {
        r["inputs"]["roleId"]: r["inputs"]["permissions"]
        for r in of_type(prod, "gcp:projects/iAMCustomRole:IAMCustomRole")
    }
    assert custom == {"prod_external_dns_zone_lister": ["dns.managedZones.list"]}
    assert {r["inputs"]["role"] for r in project_roles} - {CLUSTER_ADMIN_ROLE} == {
        "roles/container.defaultNodeServiceAccount",
        "projects/acme-store-shared/roles/prod_external_dns_zone_lister",
    }


def test_gcp_project_defaults_to_one_per_environment() -> None:
    assert load_config({"cloud": "gcp"}, "staging").gcp_project_id == "acme-store-staging"
    assert load_config({"cloud": "gcp", "gcpProject": "acme-shared"}, "staging").gcp_project_id == "acme-shared"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"cloud": "gcp", "gcpProject": "Acme"}, "is not a GCP project id"),
        ({"cloud": "aws", "gcpProject": "acme-store-dev"}, "only used with cloud: gcp"),
    ],
)
def test_config_rejects_a_bad_or_misplaced_gcp_project(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(raw, "dev")
    assert [p.path for p in error.value.problems] == ["platform.gcpProject"]
    assert message in str(error.value)
