"""Who reaches the API server, and how: the deploy path per cloud, the cluster admins, and the
inputs a stack still needs before `pulumi up` can reach its cluster.

Pure functions of the config, shared by the validation rules, the cluster components, the
render summary and the CI plan (`store_platform_tools.ci`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from .model import PlatformConfig

# Ranges no deployer on the internet comes from: RFC 1918, shared address space (RFC 6598),
# loopback and link-local. A public endpoint open only to these is unreachable.
_UNROUTABLE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16")
)
# GitHub-hosted runner labels: their egress addresses change from run to run, so no CIDR list
# can name them.
GITHUB_HOSTED = re.compile(r"(ubuntu|windows|macos)-[a-z0-9.-]+")
DEFAULT_RUNNER = "ubuntu-latest"


def is_unroutable(cidr: str) -> bool:
    """True for a range no client on the internet has (RFC 1918 and the like)."""
    network = ipaddress.ip_network(cidr, strict=False)
    return any(network.version == u.version and network.subnet_of(u) for u in _UNROUTABLE)  # type: ignore[arg-type]


def public_cidrs(cidrs: list[str]) -> list[str]:
    return [c for c in cidrs if not is_unroutable(c)]


def default_deploy_path(cloud: str | None, private_endpoint: Any) -> str | None:
    """GKE: the DNS-based endpoint (IAM-authorized, no network path needed). EKS and AKS: the
    public endpoint, or with a private one, a public endpoint open only to the deployers."""
    if cloud == "gcp":
        return "dns"
    if cloud in ("aws", "azure"):
        return "deployer-networks" if private_endpoint is True else "public"
    return None


def valid_deploy_paths(cloud: str | None) -> tuple[str, ...]:
    return {
        "gcp": ("public", "dns"),
        "aws": ("public", "deployer-networks"),
        "azure": ("public", "deployer-networks"),
    }.get(cloud or "", ())


# --- principals ---------------------------------------------------------------------------------

PrincipalKind = Literal["role", "user", "group", "serviceAccount", "servicePrincipal"]
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
_PRINCIPAL = {
    "aws": re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(?P<kind>role|user)/[\w+=,.@/-]+"),
    "gcp": re.compile(r"(?P<kind>user|group|serviceAccount):[^@\s:]+@[A-Za-z0-9.-]+\.[a-z]{2,}"),
    "azure": re.compile(rf"(?P<kind>user|group|servicePrincipal):{_GUID}"),
}
PRINCIPAL_FORMAT = {
    "aws": "an IAM role or user ARN, arn:aws:iam::<account>:role/<name>",
    "gcp": "user:, group: or serviceAccount:<email>",
    "azure": "user:, group: or servicePrincipal:<Entra object id>",
}


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str  # as the cloud's API takes it: the ARN, the IAM member, the Entra object id

    @property
    def key(self) -> str:
        """A short, stable name part for the principal's resources: the same principal keeps its
        resources whatever its position in the list."""
        return hashlib.sha256(self.id.encode()).hexdigest()[:8]


def parse_principal(cloud: str, text: str) -> Principal | None:
    pattern = _PRINCIPAL.get(cloud)
    match = pattern.fullmatch(text) if pattern else None
    if match is None:
        return None
    kind = match.group("kind")
    if cloud == "azure":
        return Principal(kind, text.split(":", 1)[1])  # type: ignore[arg-type]
    return Principal(kind, text)  # type: ignore[arg-type]


def principal_problem(cloud: str, text: str) -> str | None:
    """Why `text` is not a principal of `cloud`, with the fix; None when it is one."""
    if parse_principal(cloud, text) is not None:
        return None
    if cloud == "aws" and ":sts::" in text:
        return (
            f"'{text}' is an STS session, which changes every run; use the role behind it, "
            "arn:aws:iam::<account>:role/<name>"
        )
    return f"'{text}' is not a {cloud} principal; write {PRINCIPAL_FORMAT[cloud]}"


def admins(config: PlatformConfig) -> tuple[Principal | None, list[Principal]]:
    """The deployer and the further admins, as the cluster components grant them (duplicates of
    the deployer dropped)."""
    cluster = config.cluster
    deployer = parse_principal(config.cloud, cluster.deployer) if cluster.deployer else None
    others: list[Principal] = []
    for text in cluster.admins:
        principal = parse_principal(config.cloud, text)
        if principal is not None and principal != deployer and principal not in others:
            others.append(principal)
    return deployer, others


# --- inputs a stack still needs -------------------------------------------------------------------


@dataclass(frozen=True)
class RequiredInput:
    key: str  # camelCase path under store-platform:platform
    purpose: str
    placeholder: Any  # what the offline render uses in its place
    needed_for: Literal["pulumi up", "CI"] = "pulumi up"

    @property
    def path(self) -> str:
        return f"store-platform:platform.{self.key}"


_DEPLOYER_PLACEHOLDER = {
    "aws": "arn:aws:iam::123456789012:role/store-platform-deployer",
    "gcp": "serviceAccount:store-platform-deployer@example.iam.gserviceaccount.com",
    "azure": "servicePrincipal:00000000-0000-0000-0000-000000000000",
}
# Documentation ranges (RFC 5737): valid CIDRs that nobody deploys from.
_CIDR_PLACEHOLDER = ["203.0.113.0/24"]


def missing_inputs(config: PlatformConfig) -> list[RequiredInput]:
    """The values the deploy path needs that the stack file does not give; each is the user's
    own (their egress addresses, their deploy identity), so no default can stand in."""
    if config.cloud not in _DEPLOYER_PLACEHOLDER:
        return []
    cluster = config.cluster
    missing: list[RequiredInput] = []
    if cluster.deployer is None:
        missing.append(
            RequiredInput(
                "cluster.deployer",
                f"the identity `pulumi up` runs as (the CI deploy identity), made cluster admin: "
                f"{PRINCIPAL_FORMAT[config.cloud]}",
                _DEPLOYER_PLACEHOLDER[config.cloud],
            )
        )
    if cluster.deploy_path == "public" and not cluster.authorized_networks:
        missing.append(
            RequiredInput(
                "cluster.authorizedNetworks",
                "public egress CIDRs of the CI runner and the operators, the only ones the public API server admits",
                _CIDR_PLACEHOLDER,
            )
        )
    if cluster.deploy_path == "deployer-networks" and not cluster.deployer_networks:
        missing.append(
            RequiredInput(
                "cluster.deployerNetworks",
                "public egress CIDRs of the CI runner and the operators, admitted beside the private endpoint",
                _CIDR_PLACEHOLDER,
            )
        )
    if cluster.deploy_path != "dns" and cluster.ci_runner is None:
        missing.append(
            RequiredInput(
                "cluster.ciRunner",
                "label of a runner whose fixed egress is in the allowed CIDRs (GitHub-hosted ones have none)",
                None,
                needed_for="CI",
            )
        )
    return missing


def ci_runner(config: PlatformConfig) -> str | None:
    """The runner label CI uses for this stack; None where none is configured and the default
    GitHub-hosted runner cannot reach the API server."""
    if config.cluster.ci_runner is not None:
        return config.cluster.ci_runner
    if config.cloud not in ("aws", "azure", "gcp") or config.cluster.deploy_path == "dns":
        return DEFAULT_RUNNER
    return None
