"""The typed shape of `store-platform:platform`: every key, its type and its allowed values.

Defaults per environment live in `defaults.py`; rules that relate several keys in `rules.py`.
Keys are camelCase in the stack file and snake_case here; unknown keys are rejected.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .clouds import Cloud

Environment = Literal["dev", "staging", "prod", "local"]
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod", "local")
SERVICES: tuple[str, ...] = ("gateway", "attendance", "inventory", "sales", "notification", "auth")
# The longest `project` accepted: `<project>-<environment>` is the default GCP project id (at most
# 30 characters) and "-staging" takes 8. tests/test_names.py renders every cloud at this length.
PROJECT_MAX_LENGTH = 22


class Section(BaseModel):
    """Base of every config section: camelCase keys, nothing unknown, immutable once loaded."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class NodePool(Section):
    instance_type: str = Field(min_length=2, description="Machine type, in any cloud's vocabulary")
    min: int = Field(ge=0, le=100, description="Fewest nodes the autoscaler keeps")
    max: int = Field(ge=1, le=200, description="Most nodes the autoscaler adds")
    disk_gb: int = Field(ge=20, le=2000, description="Encrypted root volume size")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> NodePool:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); lower min or raise max")
        return self


class NodePools(Section):
    system: NodePool = Field(description="Platform add-ons; tainted so services do not land here")
    workloads: NodePool = Field(description="The six services")


DeployPath = Literal["public", "dns", "deployer-networks"]


class ClusterConfig(Section):
    kubernetes_version: str = Field(description='Control-plane minor, e.g. "1.33"')
    private_endpoint: bool = Field(description="API server reachable only from inside the network")
    zones: list[str] | None = Field(
        default=None,
        description="The three zones the cluster spreads over, pinned (subnets, node locations); unset: the "
        "region's first three in components/config/clouds.py, never read live. Changing them re-plans the network",
    )
    authorized_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the API server: public egress ranges (deployPath: public), "
        "in-network ranges (VPN, peered) for the private endpoint",
    )
    deploy_path: DeployPath | None = Field(
        default=None,
        description="How `pulumi up` reaches the API server: public (endpoint open to authorizedNetworks), "
        "dns (GKE's IAM-authorized DNS endpoint), deployer-networks (private endpoint plus a public one open "
        "only to deployerNetworks; aws, azure); unset: dns on gcp, else public or, with privateEndpoint, "
        "deployer-networks",
    )
    deployer_networks: list[str] = Field(
        default_factory=list,
        description="Public egress CIDRs of the deployers (CI runner, operators' VPN) (deployPath: deployer-networks)",
    )
    deployer: str | None = Field(
        default=None,
        description="The principal that runs `pulumi up` (the CI deploy identity), cluster admin: an IAM role ARN "
        "(aws), serviceAccount:/user:EMAIL (gcp), servicePrincipal:/user:OBJECT-ID (azure)",
    )
    admins: list[str] = Field(
        default_factory=list,
        description="Further cluster admins, in the deployer's format per cloud (group: too on gcp and azure)",
    )
    ci_runner: str | None = Field(
        default=None,
        description="GitHub Actions runner label the stack's preview and deploy jobs run on; needs a fixed egress "
        "in authorizedNetworks/deployerNetworks unless deployPath is dns; unset: ubuntu-latest",
    )
    network_cidr: str = Field(description="Address space of the cluster network (VPC/VNet)")
    node_pools: NodePools
    kube_context: str | None = Field(default=None, description="kubeconfig context (cloud: existing only)")

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version_as_text(cls, v: object) -> object:
        # YAML reads 1.30 as the float 1.3: insist on a quoted string rather than guess.
        if isinstance(v, float):
            raise ValueError(
                f'write the version as a quoted string, e.g. "1.33" (YAML reads an unquoted version as a number, {v})'
            )
        return v

    @field_validator("authorized_networks", "deployer_networks")
    @classmethod
    def _cidrs(cls, networks: list[str]) -> list[str]:
        for n in networks:
            try:
                ipaddress.ip_network(n, strict=True)
            except ValueError as e:
                raise ValueError(f"'{n}' is not a CIDR block ({e}); write it like 10.0.0.0/8") from None
        return networks

    @field_validator("ci_runner")
    @classmethod
    def _runner_label(cls, label: str | None) -> str | None:
        if label is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", label):
            raise ValueError(f"'{label}' is not a runner label; write one label, e.g. store-prod-deployer")
        return label

    @field_validator("network_cidr")
    @classmethod
    def _network(cls, n: str) -> str:
        try:
            net = ipaddress.ip_network(n, strict=True)
        except ValueError as e:
            raise ValueError(f"'{n}' is not a CIDR block ({e}); write it like 10.40.0.0/16") from None
        if not net.is_private or net.version != 4 or not 16 <= net.prefixlen <= 20:
            raise ValueError(f"'{n}' must be a private IPv4 block from /16 to /20 (room for 3 zones' subnets)")
        return n


class MeshConfig(Section):
    provider: Literal["istio", "linkerd"] = Field(description="Service mesh")
    internal_load_balancer: bool = Field(description="Ingress gateway on an internal (private) load balancer")
    tracing_sampling_percent: float = Field(
        ge=0,
        le=100,
        description="Percent of requests the proxies trace (Istio Telemetry; Linkerd follows the caller's decision)",
    )


_SCP_GIT = re.compile(r"^[\w.-]+@[\w.-]+:[\w./-]+$")  # git@github.com:acme/store.git


ArgoCdRole = Literal["admin", "deployer", "readonly"]


class OidcConfig(Section):
    issuer: str = Field(description="OIDC issuer URL (https), e.g. https://login.acme.example")
    client_id: str = Field(min_length=1, description="Client id of Argo CD at the identity provider")
    group_roles: dict[str, ArgoCdRole] = Field(
        description="Identity-provider group -> Argo CD role (admin, deployer: sync the services, readonly)"
    )

    @field_validator("issuer")
    @classmethod
    def _https(cls, issuer: str) -> str:
        if not re.fullmatch(r"https://[^\s/]+(/\S*)?", issuer):
            raise ValueError(f"'{issuer}' is not an https URL; write the issuer like https://login.acme.example")
        return issuer


HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


class DnsConfig(Section):
    domain: str = Field(
        description="The stack's DNS zone: the platform's hosts (store, argocd, grafana) are named under it, "
        "its certificates are issued for them and (on a cloud) the platform creates the zone and writes "
        "their records; delegate it from the parent zone with the exported name servers"
    )

    @field_validator("domain")
    @classmethod
    def _zone_name(cls, domain: str) -> str:
        if not HOST_NAME.fullmatch(domain) or len(domain) > 200:
            raise ValueError(f"'{domain}' is not a DNS zone name; write it like dev.acme.example (no scheme, no dot)")
        return domain


class GitOpsConfig(Section):
    repo_url: str = Field(description="Git repository Argo CD deploys the services from")
    target_revision: str = Field(min_length=1, description="Branch, tag or commit to track")
    domain: str = Field(description="Host name Argo CD is served at (SSO redirect URL, links in notifications)")
    local_admin: bool = Field(description="Keep Argo CD's local admin user (dev/local only; SSO elsewhere)")
    sso: OidcConfig | None = Field(default=None, description="Single sign-on through OIDC; none: local admin only")
    slack_channel: str = Field(
        description="Slack channel for deployment notifications; the slackWebhookUrl posts to it"
    )

    @field_validator("domain")
    @classmethod
    def _host_name(cls, domain: str) -> str:
        if not HOST_NAME.fullmatch(domain):
            raise ValueError(f"'{domain}' is not a host name; write it like argocd.dev.acme.example (no scheme)")
        return domain

    @field_validator("slack_channel")
    @classmethod
    def _channel(cls, channel: str) -> str:
        if not re.fullmatch(r"#[a-z0-9][a-z0-9_-]*", channel):
            raise ValueError(f"'{channel}' is not a Slack channel; write it like #store-deploys (lowercase)")
        return channel

    @field_validator("repo_url")
    @classmethod
    def _git_url(cls, url: str) -> str:
        if re.match(r"^(https|ssh)://[^\s/]+/\S+$", url) or _SCP_GIT.match(url):
            return url
        raise ValueError(f"'{url}' is not a repository URL; use https://host/org/repo or git@host:org/repo.git")


class ObservabilityConfig(Section):
    tracing: Literal["tempo", "jaeger"] = Field(description="Trace backend")
    retention_days: int = Field(ge=1, le=400, description="Metrics, logs and traces retention")
    slack_channel: str = Field(
        pattern=r"^#[a-z0-9][a-z0-9_-]{0,79}$", description="Slack channel for this environment's tickets and warnings"
    )


class SecretsConfig(Section):
    backend: Literal["vault", "aws-secrets-manager"] = Field(description="Where service secrets live")


class PolicyConfig(Section):
    enforcement: Literal["deny", "warn", "dryrun"] = Field(description="Gatekeeper enforcementAction")
    allowed_registries: list[str] = Field(min_length=1, description="Image prefixes services may pull")

    @field_validator("allowed_registries")
    @classmethod
    def _prefixes(cls, registries: list[str]) -> list[str]:
        for r in registries:
            if "://" in r or " " in r or "/" not in r:
                raise ValueError(f"'{r}' is not an image prefix; write registry/org/, e.g. ghcr.io/acme/")
        return registries


ServiceName = Literal["gateway", "attendance", "inventory", "sales", "notification", "auth"]


class SloConfig(Section):
    availability: float = Field(ge=90, lt=100, description="Availability objective, percent of good requests")
    latency_p95_ms: int = Field(ge=10, le=10_000, description="95th-percentile latency objective")
    window_days: int = Field(ge=7, le=90, description="SLO window")


class ServiceConfig(Section):
    team: str = Field(min_length=1, description="Owning team (the `team` label policy requires)")
    calls: list[ServiceName] = Field(description="Services this one calls (network policy allows these)")
    slo: SloConfig


class ChartOverride(Section):
    version: str | None = Field(default=None, description="Chart version to pin instead of the catalogue's")
    repository: str | None = Field(default=None, description="Chart repository (https:// or oci://)")


class PlatformConfig(Section):
    environment: Environment = Field(description="Defaults to the stack name")
    cloud: Cloud = Field(description="Where the cluster runs; existing = a cluster made elsewhere (kind...)")
    region: str = Field(default="", description="The cloud's region; defaults to the cloud's usual one")
    project: str = Field(
        description="Name prefix of every cloud resource (6-22 characters: every derived name fits its cloud's limits)"
    )
    gcp_project: str | None = Field(
        default=None,
        description="GCP project id the stack deploys into (cloud: gcp); unset: `<project>-<environment>`, "
        "a project per environment, so no two environments share a workload identity pool",
    )
    subscription_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
        description="Azure subscription the stack deploys into (cloud: azure); unset: the Azure login's subscription",
    )
    cluster: ClusterConfig
    dns: DnsConfig
    mesh: MeshConfig
    gitops: GitOpsConfig
    observability: ObservabilityConfig
    secrets: SecretsConfig
    policy: PolicyConfig
    services: dict[ServiceName, ServiceConfig]
    charts: dict[str, ChartOverride] = Field(default_factory=dict, description="Per-stack catalogue overrides")

    @model_validator(mode="after")
    def _services(self) -> PlatformConfig:
        missing = [s for s in SERVICES if s not in self.services]
        if missing:
            raise ValueError(f"services must configure all six services; add {', '.join(missing)}")
        for name, service in self.services.items():
            if name in service.calls:
                raise ValueError(f"services.{name}.calls: a service does not call itself; remove {name}")
        return self

    @field_validator("project")
    @classmethod
    def _project_name(cls, p: str) -> str:
        # 22: `<project>-staging` (the longest environment) must still be a valid GCP project id (30).
        if not re.fullmatch(rf"[a-z][a-z0-9-]{{4,{PROJECT_MAX_LENGTH - 2}}}[a-z0-9]", p):
            raise ValueError(
                f"'{p}' must be 6-{PROJECT_MAX_LENGTH} lowercase letters, digits or hyphens, starting with a letter"
            )
        return p

    @field_validator("gcp_project")
    @classmethod
    def _gcp_project_id(cls, p: str | None) -> str | None:
        # GCP project ids: 6-30 lowercase letters, digits or hyphens, starting with a letter.
        if p is not None and not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", p):
            raise ValueError(f"'{p}' is not a GCP project id: 6-30 lowercase letters, digits or hyphens")
        return p

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def gcp_project_id(self) -> str:
        """The GCP project the stack deploys into: its own per environment unless gcpProject names one."""
        return self.gcp_project or self.name_prefix

    @property
    def name_prefix(self) -> str:
        """Prefix of every cloud resource name: `<project>-<environment>`."""
        return f"{self.project}-{self.environment}"
