"""Facts about each cloud the config is validated against: regions, Kubernetes versions, machine types.

Checked against the providers' public documentation on 2026-11-30; revisit when a cloud
retires a Kubernetes minor (each cloud's version calendar is linked beside its set).
"""

from __future__ import annotations

import re
from typing import Literal, get_args

Cloud = Literal["aws", "gcp", "azure", "existing"]
CLOUDS: tuple[str, ...] = get_args(Cloud)
MANAGED_CLOUDS = ("aws", "gcp", "azure")

# GCP regions whose zones are b, c and d rather than a, b and c.
_GCP_BCD = frozenset({"us-east1", "europe-west1"})

REGIONS: dict[str, frozenset[str]] = {
    "aws": frozenset(
        {
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "sa-east-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-south-1",
            "ap-east-1",
            "me-central-1",
            "af-south-1",
        }
    ),
    "gcp": frozenset(
        {
            "us-central1",
            "us-east1",
            "us-east4",
            "us-east5",
            "us-west1",
            "us-west2",
            "us-west3",
            "us-west4",
            "us-south1",
            "northamerica-northeast1",
            "southamerica-east1",
            "europe-west1",
            "europe-west2",
            "europe-west3",
            "europe-west4",
            "europe-west6",
            "europe-north1",
            "europe-central2",
            "asia-northeast1",
            "asia-northeast2",
            "asia-northeast3",
            "asia-east1",
            "asia-southeast1",
            "asia-south1",
            "australia-southeast1",
            "me-central1",
        }
    ),
    "azure": frozenset(
        {
            "eastus",
            "eastus2",
            "centralus",
            "southcentralus",
            "westus2",
            "westus3",
            "canadacentral",
            "brazilsouth",
            "northeurope",
            "westeurope",
            "uksouth",
            "francecentral",
            "germanywestcentral",
            "swedencentral",
            "switzerlandnorth",
            "norwayeast",
            "koreacentral",
            "japaneast",
            "eastasia",
            "southeastasia",
            "australiaeast",
            "centralindia",
            "uaenorth",
            "southafricanorth",
        }
    ),
}
DEFAULT_REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus", "existing": "local"}

# Every cluster spreads its control plane, nodes and subnets over this many zones.
MIN_ZONES = 3


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}{letter}" for letter in letters)


# The zones of each region above, checked on the same day against:
# AWS   https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
#       (zone names map to different physical zones per account; what counts here is how many a
#       new account gets: us-west-1 offers two)
# GCP   https://cloud.google.com/compute/docs/regions-zones
# Azure https://learn.microsoft.com/azure/reliability/regions-list (zones are numbered 1-3)
# A region that offers fewer than MIN_ZONES fails validation: a three-zone cluster cannot be
# placed there, and the cloud would only say so at preview.
ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "aws": {
        "us-east-1": _zones("us-east-1", "abcdf"),
        "us-east-2": _zones("us-east-2", "abc"),
        "us-west-1": _zones("us-west-1", "ac"),
        "us-west-2": _zones("us-west-2", "abcd"),
        "ca-central-1": _zones("ca-central-1", "abd"),
        "sa-east-1": _zones("sa-east-1", "abc"),
        "eu-west-1": _zones("eu-west-1", "abc"),
        "eu-west-2": _zones("eu-west-2", "abc"),
        "eu-west-3": _zones("eu-west-3", "abc"),
        "eu-central-1": _zones("eu-central-1", "abc"),
        "eu-central-2": _zones("eu-central-2", "abc"),
        "eu-north-1": _zones("eu-north-1", "abc"),
        "eu-south-1": _zones("eu-south-1", "abc"),
        "ap-northeast-1": _zones("ap-northeast-1", "acd"),
        "ap-northeast-2": _zones("ap-northeast-2", "abcd"),
        "ap-northeast-3": _zones("ap-northeast-3", "abc"),
        "ap-southeast-1": _zones("ap-southeast-1", "abc"),
        "ap-southeast-2": _zones("ap-southeast-2", "abc"),
        "ap-south-1": _zones("ap-south-1", "abc"),
        "ap-east-1": _zones("ap-east-1", "abc"),
        "me-central-1": _zones("me-central-1", "abc"),
        "af-south-1": _zones("af-south-1", "abc"),
    },
    "gcp": {
        region: _zones(f"{region}-", "abcf" if region == "us-central1" else "bcd" if region in _GCP_BCD else "abc")
        for region in REGIONS["gcp"]
    },
    "azure": {region: ("1", "2", "3") for region in REGIONS["azure"]},
}

# AKS overlay address spaces (pods, services), kept out of the VNet and of the usual 10/8
# corporate ranges; the pod range is the one AKS's Azure CNI overlay docs use. The VNet
# (cluster.networkCidr) must not overlap either: config rules check it.
AKS_POD_CIDR = "192.168.0.0/16"
AKS_SERVICE_CIDR = "172.16.0.0/16"
AKS_DNS_SERVICE_IP = "172.16.0.10"

# Minors in standard or extended support on every day of the window above:
# EKS https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
# GKE https://cloud.google.com/kubernetes-engine/docs/release-schedule
# AKS https://learn.microsoft.com/azure/aks/supported-kubernetes-versions
# An existing cluster is whatever it runs; the add-ons' charts support the same window.
KUBERNETES_VERSIONS: dict[str, tuple[str, ...]] = {
    "aws": ("1.33", "1.34", "1.35", "1.36"),
    "gcp": ("1.33", "1.34", "1.35", "1.36"),
    "azure": ("1.33", "1.34", "1.35", "1.36"),
    "existing": ("1.33", "1.34", "1.35", "1.36"),
}

# Equivalent general-purpose machine types, one row per size, so a node pool written in one
# cloud's vocabulary lands on the same size elsewhere. Columns: aws, gcp, azure.
_EQUIVALENT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("t3.medium", "e2-medium", "Standard_B2s"),
    ("m7i.large", "n2-standard-2", "Standard_D2s_v5"),
    ("m7i.xlarge", "n2-standard-4", "Standard_D4s_v5"),
    ("m7i.2xlarge", "n2-standard-8", "Standard_D8s_v5"),
    ("m7i.4xlarge", "n2-standard-16", "Standard_D16s_v5"),
    ("c7i.large", "c2d-standard-2", "Standard_F2s_v2"),
    ("c7i.xlarge", "c3-standard-4", "Standard_F4s_v2"),
    ("c7i.2xlarge", "c3-standard-8", "Standard_F8s_v2"),
    ("r7i.large", "n2-highmem-2", "Standard_E2s_v5"),
    ("r7i.xlarge", "n2-highmem-4", "Standard_E4s_v5"),
    ("r7i.2xlarge", "n2-highmem-8", "Standard_E8s_v5"),
)
_COLUMN = {"aws": 0, "gcp": 1, "azure": 2}

# How each cloud spells a machine type, for types outside the table above.
MACHINE_TYPE_PATTERNS = {
    "aws": r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",  # m7i.large, t4g.medium
    "gcp": r"^[a-z][a-z0-9]*-[a-z0-9-]+$",  # n2-standard-4, e2-medium
    "azure": r"^Standard_[A-Za-z0-9_]+$",  # Standard_D4s_v5
}


def cluster_zones(cloud: str, region: str, pinned: list[str] | None) -> list[str]:
    """The zones a cluster spreads over: the pinned ones, else the region's first MIN_ZONES from
    the table above. Decided from config alone: a zone's live status never re-plans the network."""
    if pinned:
        return list(pinned)
    return list(ZONES.get(cloud, {}).get(region, ())[:MIN_ZONES])


def translate_machine_type(instance_type: str, cloud: str) -> str | None:
    """The instance type for `cloud`: itself if it is already that cloud's, its table equivalent
    if it is another cloud's, None if it is known to no cloud (the caller reports that)."""
    if cloud not in _COLUMN:
        return instance_type
    for row in _EQUIVALENT_TYPES:
        if instance_type in row:
            return row[_COLUMN[cloud]]
    if re.match(MACHINE_TYPE_PATTERNS[cloud], instance_type):
        return instance_type
    return None


def known_machine_types(cloud: str) -> list[str]:
    return [row[_COLUMN[cloud]] for row in _EQUIVALENT_TYPES]


def gke_node_capacity(network_prefixlen: int) -> int:
    """How many GKE nodes a cluster network of this size can hold: GKE gives every node a /24
    of pod addresses (110 pods a node), and the GKE network plan makes pods half the block."""
    return int(2 ** (24 - (network_prefixlen + 1)))
