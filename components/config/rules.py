"""Rules that relate several keys (a region belongs to a cloud, a backend exists on it...).

They read the merged raw config defensively, so they report alongside the per-key errors
from pydantic: a stack file with three mistakes gets three lines, not one per attempt.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

from .access import (
    GITHUB_HOSTED,
    default_deploy_path,
    is_unroutable,
    parse_principal,
    principal_problem,
    public_cidrs,
    valid_deploy_paths,
)
from .clouds import (
    AKS_POD_CIDR,
    AKS_SERVICE_CIDR,
    CLOUDS,
    KUBERNETES_VERSIONS,
    MANAGED_CLOUDS,
    MIN_ZONES,
    REGIONS,
    ZONES,
    gke_node_capacity,
    known_machine_types,
    translate_machine_type,
)
from .errors import Problem
from .model import HOST_NAME

P = "platform"


def _get(raw: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(raw, dict):
            return None
        raw = raw.get(key)
    return raw


def _suggest(value: str, choices: list[str] | frozenset[str], n: int = 3) -> str:
    close = difflib.get_close_matches(value, sorted(choices), n=n, cutoff=0.5)
    return ", ".join(close or sorted(choices)[:n])


def _region(raw: dict) -> Iterator[Problem]:
    cloud, region = raw.get("cloud"), raw.get("region")
    if cloud in REGIONS and isinstance(region, str) and region not in REGIONS[cloud]:
        yield Problem(
            f"{P}.region",
            f"'{region}' is not a {cloud} region; use one such as {_suggest(region, REGIONS[cloud])}",
        )


def _zones(raw: dict) -> Iterator[Problem]:
    cloud, region = raw.get("cloud"), raw.get("region")
    if not isinstance(cloud, str) or not isinstance(region, str):
        return
    zones = ZONES.get(cloud, {}).get(region)
    if zones is not None and len(zones) < MIN_ZONES:
        others = sorted(r for r, z in ZONES[cloud].items() if len(z) >= MIN_ZONES)
        yield Problem(
            f"{P}.region",
            f"'{region}' offers {len(zones)} zones and the cluster spreads over {MIN_ZONES}; "
            f"use a region with {MIN_ZONES} or more, such as {_suggest(region, others)}",
        )


def _pinned_zones(raw: dict) -> Iterator[Problem]:
    cluster = raw.get("cluster")
    pinned = cluster.get("zones") if isinstance(cluster, dict) else None
    cloud, region = raw.get("cloud"), raw.get("region")
    if not isinstance(pinned, list) or not isinstance(cloud, str) or not isinstance(region, str):
        return
    known = ZONES.get(cloud, {}).get(region)
    if len(set(pinned)) != MIN_ZONES or len(pinned) != MIN_ZONES:
        yield Problem(f"{P}.cluster.zones", f"name {MIN_ZONES} different zones of {region}, or remove it")
    elif known is not None and not set(pinned) <= set(known):
        yield Problem(
            f"{P}.cluster.zones",
            f"{sorted(set(pinned) - set(known))} are not zones of {region}; use {MIN_ZONES} of {list(known)}",
        )


def _gcp_project(raw: dict) -> Iterator[Problem]:
    if raw.get("gcpProject") is not None and raw.get("cloud") != "gcp":
        yield Problem(f"{P}.gcpProject", f"only used with cloud: gcp; remove it (the stack is on {raw.get('cloud')})")


def _kubernetes_version(raw: dict) -> Iterator[Problem]:
    cloud, version = raw.get("cloud"), _get(raw, "cluster", "kubernetesVersion")
    if cloud in KUBERNETES_VERSIONS and isinstance(version, str) and version not in KUBERNETES_VERSIONS[cloud]:
        supported = ", ".join(KUBERNETES_VERSIONS[cloud])
        yield Problem(
            f"{P}.cluster.kubernetesVersion",
            f"'{version}' is not a version {cloud} supports; use one of {supported}",
        )


def _secrets_backend(raw: dict) -> Iterator[Problem]:
    cloud, backend = raw.get("cloud"), _get(raw, "secrets", "backend")
    if backend == "aws-secrets-manager" and cloud in CLOUDS and cloud != "aws":
        yield Problem(f"{P}.secrets.backend", f"aws-secrets-manager exists only on aws, not {cloud}; use vault")


def _kube_context(raw: dict) -> Iterator[Problem]:
    cloud, context = raw.get("cloud"), _get(raw, "cluster", "kubeContext")
    if cloud == "existing" and not context:
        yield Problem(
            f"{P}.cluster.kubeContext",
            "required with cloud: existing; name the kubeconfig context, e.g. kind-store",
        )
    if cloud in MANAGED_CLOUDS and context:
        yield Problem(
            f"{P}.cluster.kubeContext",
            f"only used with cloud: existing; remove it (the {cloud} cluster is created here)",
        )


def _endpoint(raw: dict) -> Iterator[Problem]:
    if raw.get("cloud") not in MANAGED_CLOUDS:
        return
    cloud = raw["cloud"]
    private, networks = _get(raw, "cluster", "privateEndpoint"), _get(raw, "cluster", "authorizedNetworks")
    path, deployers = _get(raw, "cluster", "deployPath"), _get(raw, "cluster", "deployerNetworks")
    if raw.get("environment") == "prod" and private is False:
        yield Problem(
            f"{P}.cluster.privateEndpoint",
            "prod keeps the API server private; set it to true (the deploy path then reaches it, see deployPath)",
        )
    if isinstance(path, str) and path not in valid_deploy_paths(cloud):
        yield Problem(
            f"{P}.cluster.deployPath",
            f"'{path}' is not a deploy path on {cloud}; use {' or '.join(valid_deploy_paths(cloud))}",
        )
    if path == "public" and private is True:
        yield Problem(
            f"{P}.cluster.deployPath",
            "public needs a public API server but privateEndpoint is true; use "
            f"{default_deploy_path(cloud, True)}, or set privateEndpoint: false",
        )
    if path == "deployer-networks" and private is False:
        yield Problem(
            f"{P}.cluster.deployPath",
            "deployer-networks is the way into a private API server; with privateEndpoint: false use public",
        )
    cidrs = [n for n in networks if isinstance(n, str) and _is_cidr(n)] if isinstance(networks, list) else []
    for n in cidrs:
        if ipaddress.ip_network(n).prefixlen == 0:
            yield Problem(
                f"{P}.cluster.authorizedNetworks",
                f"'{n}' opens the API server to the internet; list your own ranges",
            )
    if path == "public" and cidrs and not public_cidrs(cidrs):
        yield Problem(
            f"{P}.cluster.authorizedNetworks",
            f"only private ranges ({', '.join(cidrs)}): no deployer on the internet comes from them, so the "
            "public API server is unreachable; list the CI runner's and operators' public egress CIDRs",
        )
    if isinstance(deployers, list):
        for n in deployers:
            if isinstance(n, str) and _is_cidr(n) and (is_unroutable(n) or ipaddress.ip_network(n).prefixlen == 0):
                yield Problem(
                    f"{P}.cluster.deployerNetworks",
                    f"'{n}' is not a deployer's public egress range (private, or the whole internet); "
                    "list the CI runner's and operators' public egress CIDRs",
                )


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text)
    except ValueError:
        return False  # reported by the per-key check
    return True


def _principals(raw: dict) -> Iterator[Problem]:
    cloud = raw.get("cloud")
    deployer, admins = _get(raw, "cluster", "deployer"), _get(raw, "cluster", "admins")
    if cloud not in MANAGED_CLOUDS:
        for key, value in (("deployer", deployer), ("admins", admins)):
            if value:
                yield Problem(f"{P}.cluster.{key}", f"only used on aws, gcp and azure; remove it (cloud: {cloud})")
        return
    if isinstance(deployer, str) and (problem := principal_problem(cloud, deployer)):
        yield Problem(f"{P}.cluster.deployer", problem)
    if cloud == "aws" and isinstance(deployer, str) and ":user/" in deployer:
        yield Problem(
            f"{P}.cluster.deployer",
            "an IAM user has long-lived keys; deploy as a role (CI assumes it through OIDC), "
            "arn:aws:iam::<account>:role/<name>",
        )
    if isinstance(deployer, str) and parse_principal(cloud, deployer) and deployer.startswith("group:"):
        yield Problem(f"{P}.cluster.deployer", "a group cannot run `pulumi up`; name the identity itself")
    for i, admin in enumerate(admins if isinstance(admins, list) else []):
        if isinstance(admin, str) and (problem := principal_problem(cloud, admin)):
            yield Problem(f"{P}.cluster.admins[{i}]", problem)


def _ci_runner(raw: dict) -> Iterator[Problem]:
    runner, path = _get(raw, "cluster", "ciRunner"), _get(raw, "cluster", "deployPath")
    if isinstance(runner, str) and GITHUB_HOSTED.fullmatch(runner) and path in ("public", "deployer-networks"):
        yield Problem(
            f"{P}.cluster.ciRunner",
            f"'{runner}' is GitHub-hosted, with no fixed egress the API server's CIDR list could admit; "
            "name a self-hosted runner or a larger runner with a static IP",
        )


def _aks_address_space(raw: dict) -> Iterator[Problem]:
    cidr = _get(raw, "cluster", "networkCidr")
    if raw.get("cloud") != "azure" or not isinstance(cidr, str):
        return
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        return  # reported by the per-key check
    for role, reserved in (("pod", AKS_POD_CIDR), ("service", AKS_SERVICE_CIDR)):
        if network.overlaps(ipaddress.ip_network(reserved)):
            yield Problem(
                f"{P}.cluster.networkCidr",
                f"'{cidr}' overlaps the AKS {role} range {reserved}; use a 10.x block such as 10.40.0.0/16",
            )


def _machine_types(raw: dict) -> Iterator[Problem]:
    cloud = raw.get("cloud")
    if cloud not in MANAGED_CLOUDS:
        return
    for pool in ("system", "workloads"):
        itype = _get(raw, "cluster", "nodePools", pool, "instanceType")
        if isinstance(itype, str) and translate_machine_type(itype, cloud) is None:
            yield Problem(
                f"{P}.cluster.nodePools.{pool}.instanceType",
                f"'{itype}' is not a {cloud} machine type and has no known equivalent; "
                f"use one such as {_suggest(itype, known_machine_types(cloud))}",
            )


def _prod_capacity(raw: dict) -> Iterator[Problem]:
    minimum = _get(raw, "cluster", "nodePools", "system", "min")
    if (
        raw.get("environment") == "prod"
        and raw.get("cloud") in MANAGED_CLOUDS
        and isinstance(minimum, int)
        and minimum < 3
    ):
        yield Problem(
            f"{P}.cluster.nodePools.system.min",
            f"{minimum} is too few for prod: Vault's Raft quorum and zone spread need 3; set min: 3",
        )


def _head_sampling(raw: dict) -> Iterator[Problem]:
    percent = _get(raw, "mesh", "tracingSamplingPercent")
    if raw.get("environment") == "prod" and isinstance(percent, int | float) and percent < 100:
        yield Problem(
            f"{P}.mesh.tracingSamplingPercent",
            f"{percent} drops traces before prod's collector tail-samples them (it keeps every error and slow "
            "trace, and a tenth of the rest); set 100",
        )


def _argocd_sign_in(raw: dict) -> Iterator[Problem]:
    local_admin, sso = _get(raw, "gitops", "localAdmin"), _get(raw, "gitops", "sso")
    if raw.get("environment") in ("staging", "prod") and local_admin is True:
        yield Problem(
            f"{P}.gitops.localAdmin",
            "the shared admin account is off in staging and prod (no audit trail); set it to false and sign in via sso",
        )
    if local_admin is False and sso is None:
        yield Problem(
            f"{P}.gitops.sso",
            "required with localAdmin: false, or nobody can sign in to Argo CD; configure it or set localAdmin: true",
        )


def _hosts_in_zone(raw: dict) -> Iterator[Problem]:
    """Argo CD's host gets its certificate and DNS record in the stack's zone: it must be under it."""
    domain, host = _get(raw, "dns", "domain"), _get(raw, "gitops", "domain")
    if not isinstance(domain, str) or not HOST_NAME.fullmatch(domain):
        return  # a malformed zone is reported by the model, once
    if isinstance(host, str) and HOST_NAME.fullmatch(host) and not host.endswith(f".{domain}"):
        yield Problem(
            f"{P}.gitops.domain",
            f"'{host}' is outside the stack's zone dns.domain ({domain}); use a host under it, e.g. argocd.{domain}",
        )


def _gke_pod_addresses(raw: dict) -> Iterator[Problem]:
    cidr = _get(raw, "cluster", "networkCidr")
    maxima = [_get(raw, "cluster", "nodePools", pool, "max") for pool in ("system", "workloads")]
    if raw.get("cloud") != "gcp" or not isinstance(cidr, str) or not all(isinstance(m, int) for m in maxima):
        return
    try:
        prefix = ipaddress.ip_network(cidr).prefixlen
    except ValueError:
        return  # reported by the per-key check
    nodes = sum(maxima)
    if nodes > gke_node_capacity(prefix):
        wanted = next(p for p in range(prefix, 0, -1) if gke_node_capacity(p) >= nodes)
        yield Problem(
            f"{P}.cluster.networkCidr",
            f"'{cidr}' holds pod addresses for {gke_node_capacity(prefix)} GKE nodes but the node pools "
            f"may grow to {nodes}; use a /{wanted} block or larger",
        )


def replace_version(chart: Any, version: str) -> Any:
    from dataclasses import replace

    return replace(chart, version=version)


def _charts(raw: dict) -> Iterator[Problem]:
    from ..catalogue import CATALOGUE, COMPONENTS, CRD_CHARTS, _derived

    charts = raw.get("charts")
    if isinstance(charts, dict):
        for name in charts:
            if name not in CATALOGUE:
                yield Problem(
                    f"{P}.charts.{name}",
                    f"no add-on '{name}' in the catalogue; use one of {_suggest(str(name), list(CATALOGUE))}",
                )
            elif name in CRD_CHARTS:
                yield Problem(
                    f"{P}.charts.{name}",
                    f"'{name}' follows {CRD_CHARTS[name].component}; pin {CRD_CHARTS[name].component} instead",
                )
        for crd in CRD_CHARTS.values():
            override = charts.get(crd.component)
            version = override.get("version") if isinstance(override, dict) else None
            if isinstance(version, str):
                try:
                    _derived(crd, replace_version(COMPONENTS[crd.component], version))
                except ValueError as e:
                    yield Problem(f"{P}.charts.{crd.component}.version", str(e))


# Sloth evaluates every SLO over one period, from its built-in 28- and 30-day window sets.
SLO_WINDOWS_DAYS = (28, 30)


def _slo_windows(raw: dict) -> Iterator[Problem]:
    services = raw.get("services")
    if not isinstance(services, dict):
        return
    windows = {name: _get(service, "slo", "windowDays") for name, service in services.items()}
    known = {name: days for name, days in sorted(windows.items()) if isinstance(days, int)}
    for name, days in known.items():
        if days not in SLO_WINDOWS_DAYS:
            yield Problem(f"{P}.services.{name}.slo.windowDays", f"{days} is not an SLO window Sloth has; use 28 or 30")
    valid = [days for days in known.values() if days in SLO_WINDOWS_DAYS]
    if len(set(valid)) > 1:
        usual = max(set(valid), key=lambda days: (valid.count(days), days))
        for name, days in known.items():
            if days in SLO_WINDOWS_DAYS and days != usual:
                yield Problem(
                    f"{P}.services.{name}.slo.windowDays",
                    f"Sloth evaluates all SLOs over one period; use {usual} like the other services, or change all",
                )


RULES: tuple[Callable[[dict], Iterator[Problem]], ...] = (
    _region,
    _zones,
    _pinned_zones,
    _gcp_project,
    _kubernetes_version,
    _secrets_backend,
    _kube_context,
    _endpoint,
    _principals,
    _ci_runner,
    _aks_address_space,
    _machine_types,
    _prod_capacity,
    _head_sampling,
    _argocd_sign_in,
    _hosts_in_zone,
    _gke_pod_addresses,
    _charts,
    _slo_windows,
)


def cross_field_problems(raw: dict) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(raw)]
