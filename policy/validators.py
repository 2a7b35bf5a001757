"""The checks of the store-platform policy pack, as pure functions over a resource's type, inputs
(camelCase, as the engine sees them) and options, so they are tested without the engine and
against every offline render. `__main__.py` registers them with CrossGuard.

Each returns the violations it finds as messages (empty when the resource complies)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

REQUIRED_TAGS = ("project", "environment", "managed-by")

# Cloud resources whose loss cannot be undone by re-running the program.
STATEFUL_TYPES = (
    "aws:eks/cluster:Cluster",
    "aws:kms/key:Key",
    "aws:ec2/vpc:Vpc",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "gcp:container/cluster:Cluster",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:kms/keyRing:KeyRing",
    "gcp:compute/network:Network",
    "gcp:storage/bucket:Bucket",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    "azure-native:network:VirtualNetwork",
    "azure-native:storage:StorageAccount",
)

_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|apikey|routing[_-]?key|webhook|private[_-]?key"
    r"|client[_-]?secret|credentials?)$",
    re.IGNORECASE,
)
# Keys that name where a secret is, not the secret itself.
_REFERENCE_KEY = re.compile(
    r"(file|path|ref|name|existing\w*|secretname|key(name|ref)?|mount\w*|env\w*)$", re.IGNORECASE
)
_SECRET_VALUE = (
    re.compile(r"https://hooks\.slack\.com/services/\S+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
)


@dataclass(frozen=True)
class Resource:
    type: str
    inputs: Mapping[str, Any]
    protect: bool = False
    provider_default_tags: Mapping[str, str] = field(default_factory=dict)


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def provider_default_tags(provider_inputs: Mapping[str, Any]) -> dict[str, str]:
    """The tags/labels a provider adds to every resource (AWS defaultTags, GCP defaultLabels).
    Provider inputs reach the engine JSON-encoded, so either form is read."""
    found: Any = provider_inputs.get("defaultTags") or provider_inputs.get("defaultLabels") or {}
    if isinstance(found, str):
        found = json.loads(found)
    if isinstance(found, Mapping) and "tags" in found:  # AWS nests them: defaultTags.tags
        found = found["tags"]
    return dict(found) if isinstance(found, Mapping) else {}


def environment_of(r: Resource) -> str | None:
    for labels in (
        r.inputs.get("tags"),
        r.inputs.get("labels"),
        r.inputs.get("resourceLabels"),
        r.provider_default_tags,
    ):
        if isinstance(labels, Mapping) and labels.get("environment"):
            return str(labels["environment"])
    return None


def public_endpoint_in_prod(r: Resource) -> list[str]:
    """No prod Kubernetes API endpoint open beyond the listed deployer CIDRs."""
    if environment_of(r) != "prod":
        return []
    if r.type == "aws:eks/cluster:Cluster":
        public = _get(r.inputs, "vpcConfig", "endpointPublicAccess") is not False
        # EKS opens a public endpoint without CIDRs to 0.0.0.0/0.
        open_ = public and not _listed_ranges(_get(r.inputs, "vpcConfig", "publicAccessCidrs"))
    elif r.type == "gcp:container/cluster:Cluster":
        # The DNS endpoint authorizes each request with IAM; the IP endpoint must be private.
        open_ = _get(r.inputs, "privateClusterConfig", "enablePrivateEndpoint") is not True
    elif r.type == "azure-native:containerservice:ManagedCluster":
        private = _get(r.inputs, "apiServerAccessProfile", "enablePrivateCluster") is True
        open_ = not private and not _listed_ranges(_get(r.inputs, "apiServerAccessProfile", "authorizedIPRanges"))
    else:
        return []
    return ["prod cluster API server must be private, or public only to the listed deployer CIDRs"] if open_ else []


def _listed_ranges(cidrs: Any) -> bool:
    """A non-empty list of ranges, none of them the whole internet."""
    return isinstance(cidrs, list) and bool(cidrs) and not any(str(c).endswith("/0") for c in cidrs)


def secrets_encryption(r: Resource) -> list[str]:
    """Kubernetes secrets envelope-encrypted with a customer-managed key."""
    ok = {
        "aws:eks/cluster:Cluster": any(
            "secrets" in (c.get("resources") or []) and _get(c, "provider", "keyArn")
            for c in _as_list(r.inputs.get("encryptionConfig"))
        ),
        "gcp:container/cluster:Cluster": _get(r.inputs, "databaseEncryption", "state") == "ENCRYPTED"
        and bool(_get(r.inputs, "databaseEncryption", "keyName")),
        "azure-native:containerservice:ManagedCluster": _get(r.inputs, "securityProfile", "azureKeyVaultKms", "enabled")
        is True,
    }.get(r.type, True)
    return [] if ok else ["Kubernetes secrets must be envelope-encrypted with a customer-managed KMS key"]


def helm_release_pinned(r: Resource) -> list[str]:
    """Every Helm release pinned to an exact chart version."""
    if r.type not in ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"):
        return []
    version = str(r.inputs.get("version") or "")
    if not _EXACT_VERSION.match(version):
        return [f"Helm chart {r.inputs.get('chart')} must be pinned to an exact version (got '{version or 'none'}')"]
    return []


def no_secret_in_helm_values(r: Resource) -> list[str]:
    """No secret-looking value in Helm values: secrets live in Secrets."""
    if r.type not in ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"):
        return []
    return [
        f"Helm values hold a secret-looking value at {path}; put it in a Secret and reference it"
        for path in _secret_paths(r.inputs.get("values"), "values")
    ]


def _secret_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}"
            if isinstance(item, str) and item and _SECRET_KEY.search(str(key)) and not _REFERENCE_KEY.search(str(key)):
                yield here
            else:
                yield from _secret_paths(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _secret_paths(item, f"{path}[{i}]")
    elif isinstance(value, str) and any(p.search(value) for p in _SECRET_VALUE):
        yield path


def required_tags(r: Resource) -> list[str]:
    """Cloud resources carry project, environment and managed-by tags/labels."""
    if not r.type.startswith(("aws:", "gcp:", "azure-native:")) or r.type.startswith(("pulumi:providers:",)):
        return []
    own = next(
        (r.inputs[k] for k in ("tags", "labels", "resourceLabels") if isinstance(r.inputs.get(k), Mapping)), None
    )
    if own is None and not r.provider_default_tags:
        return []  # not a taggable resource
    tags = {**r.provider_default_tags, **(own or {})}
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    return [f"missing required tags/labels: {', '.join(missing)}"] if missing else []


def prod_stateful_protected(r: Resource) -> list[str]:
    """Prod stateful resources (clusters, keys, networks, buckets) are protected."""
    if r.type in STATEFUL_TYPES and environment_of(r) == "prod" and not r.protect:
        return [f"{r.type} holds state that cannot be re-created: protect it in prod"]
    return []


def node_pool_sizing(r: Resource) -> list[str]:
    """Node pool sizing sanity (advisory): failure headroom in prod, a bounded autoscaling range."""
    scaling = {
        "aws:eks/nodeGroup:NodeGroup": (
            _get(r.inputs, "scalingConfig", "minSize"),
            _get(r.inputs, "scalingConfig", "maxSize"),
        ),
        "gcp:container/nodePool:NodePool": (
            _get(r.inputs, "autoscaling", "totalMinNodeCount"),
            _get(r.inputs, "autoscaling", "totalMaxNodeCount"),
        ),
        "azure-native:containerservice:AgentPool": (r.inputs.get("minCount"), r.inputs.get("maxCount")),
    }.get(r.type)
    if not scaling or not all(isinstance(v, int) for v in scaling):
        return []
    low, high = scaling
    problems = []
    if low > high:
        problems.append(f"node pool minimum {low} is above its maximum {high}")
    if environment_of(r) == "prod" and low < 2:
        problems.append(f"prod node pool keeps {low} node(s); one failure takes its workloads down")
    if high > 10 * max(low, 1):
        problems.append(f"node pool may grow to {high}, over ten times its minimum {low}: check the cost cap")
    return problems


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


MANDATORY = (
    public_endpoint_in_prod,
    secrets_encryption,
    helm_release_pinned,
    no_secret_in_helm_values,
    required_tags,
    prod_stateful_protected,
)
ADVISORY = (node_pool_sizing,)
