"""Turn the raw `store-platform:platform` value into a validated PlatformConfig, or fail with
every problem at once. Pure: no Pulumi here, so it is tested directly."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from .access import default_deploy_path, parse_principal, valid_deploy_paths
from .clouds import DEFAULT_REGION, MANAGED_CLOUDS, REGIONS, translate_machine_type
from .defaults import deep_merge, defaults_for
from .errors import ConfigError, Problem
from .model import ENVIRONMENTS, PlatformConfig
from .rules import cross_field_problems


def load_config(raw: Any, stack: str) -> PlatformConfig:
    """Validate a stack's platform config over its environment's defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem("platform", "must be a map of settings; see the README's configuration table")])
    environment = raw.get("environment", stack)
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            [
                Problem(
                    "platform.environment",
                    f"'{environment}' is not an environment (from "
                    f"{'the key' if 'environment' in raw else 'the stack name'}); "
                    f"set environment to one of {', '.join(ENVIRONMENTS)}",
                )
            ]
        )
    merged = deep_merge(defaults_for(environment), {"environment": environment, **raw})
    cloud = merged.get("cloud")
    if "region" not in merged and cloud in DEFAULT_REGION:
        merged["region"] = DEFAULT_REGION[cloud]
    cluster = merged.get("cluster")
    if isinstance(cluster, dict) and cluster.get("deployPath") is None:
        path = default_deploy_path(cloud, cluster.get("privateEndpoint"))
        if path is not None:
            merged["cluster"] = {**cluster, "deployPath": path}
    problems = cross_field_problems(merged)
    try:
        config = PlatformConfig.model_validate(merged)
    except ValidationError as e:
        problems += [_from_pydantic(err) for err in e.errors()]
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return _translate_machine_types(config)


DEFAULT_KUBE_CONTEXT = "kind-store"  # what `kind create cluster --name store` names its context


def retarget(raw: dict[str, Any], cloud: str) -> dict[str, Any]:
    """The same stack file moved to `cloud`: its region (and kubeContext) replaced only where
    they belong to another cloud. Used by `render --cloud`, which the README also documents
    as the by-hand move."""
    moved = dict(raw, cloud=cloud)
    region = raw.get("region")
    if cloud in REGIONS and region not in REGIONS[cloud]:
        moved["region"] = DEFAULT_REGION[cloud]
    cluster: dict[str, Any] = raw["cluster"] if isinstance(raw.get("cluster"), dict) else {}
    if cloud in MANAGED_CLOUDS:
        moved["cluster"] = {k: v for k, v in _retarget_access(cluster, cloud).items() if k != "kubeContext"}
        if moved.get("region") != region:  # pinned zones belong to the old region
            moved["cluster"].pop("zones", None)
    elif cloud == "existing" and not cluster.get("kubeContext"):
        moved["cluster"] = {**cluster, "kubeContext": DEFAULT_KUBE_CONTEXT}
    if cloud != "gcp":
        moved.pop("gcpProject", None)
    if cloud != "aws" and (raw.get("secrets") or {}).get("backend") == "aws-secrets-manager":
        moved["secrets"] = dict(raw["secrets"], backend="vault")
    return moved


def _retarget_access(cluster: dict[str, Any], cloud: str) -> dict[str, Any]:
    """What names another cloud's principals or deploy path is left out: the move then asks for
    the new cloud's (render lists them), rather than failing on the old one's."""
    moved = dict(cluster)
    if moved.get("deployPath") not in (None, *valid_deploy_paths(cloud)):
        del moved["deployPath"]
    if isinstance(moved.get("deployer"), str) and parse_principal(cloud, moved["deployer"]) is None:
        del moved["deployer"]
    if isinstance(moved.get("admins"), list):
        moved["admins"] = [a for a in moved["admins"] if isinstance(a, str) and parse_principal(cloud, a)]
    return moved


def _translate_machine_types(config: PlatformConfig) -> PlatformConfig:
    pools = config.cluster.node_pools
    translated = {
        name: pool.model_copy(update={"instance_type": translate_machine_type(pool.instance_type, config.cloud)})
        for name, pool in (("system", pools.system), ("workloads", pools.workloads))
    }
    cluster = config.cluster.model_copy(update={"node_pools": pools.model_copy(update=translated)})
    return config.model_copy(update={"cluster": cluster})


def _from_pydantic(err: Any) -> Problem:
    loc = [str(part) for part in err["loc"]]
    path = ".".join(["platform", *loc])
    kind, message = err["type"], err["msg"]
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {', '.join(known)}"
        return Problem(path, f"unknown key; {hint}")
    if kind == "missing":
        return Problem(path, "required; add it to the stack file (see the README's configuration table)")
    message = message.removeprefix("Value error, ")
    if kind.startswith("literal_error") or kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{message} (got {err.get('input')!r})"
    return Problem(path, message)


def _known_keys(loc: list[str]) -> list[str]:
    """The camelCase keys of the section at `loc`, for 'did you mean' hints."""
    model: type[BaseModel] | None = PlatformConfig
    for part in loc:
        field = next((f for n, f in (model.model_fields.items() if model else []) if (f.alias or n) == part), None)
        annotation = field.annotation if field else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    if model is None:
        return []
    return sorted((f.alias or n) for n, f in model.model_fields.items())
