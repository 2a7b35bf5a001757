"""What the pipeline needs to know about a stack before it runs Pulumi: its cloud and region, the
kube auth plugin its kubeconfig calls, and the runner label that can reach its API server.

`python -m store_platform_tools.ci STACK [STACK...]` prints `key=value` lines for $GITHUB_OUTPUT
(one stack), or `runners={...}` (a JSON map, several stacks). Exit 2 when the stack's config is
invalid or does not yet name a runner its deploy path can use, with the line that fixes it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from components.config import (
    NAMESPACE,
    PLATFORM_KEY,
    ConfigError,
    PlatformConfig,
    Problem,
    load_config,
    missing_inputs,
)
from components.config.access import ci_runner

from .stackfile import find_project

# The exec plugin each cloud's kubeconfig calls (components/cluster/*/kubeconfig.py).
KUBE_AUTH = {"aws": "aws", "gcp": "gke-gcloud-auth-plugin", "azure": "kubelogin", "existing": ""}


@dataclass(frozen=True)
class Plan:
    stack: str
    cloud: str
    region: str
    runner: str
    kube_auth: str

    def outputs(self) -> str:
        return "\n".join(
            f"{key}={value}"
            for key, value in (
                ("cloud", self.cloud),
                ("region", self.region),
                ("runner", self.runner),
                ("kube-auth", self.kube_auth),
            )
        )


def stack_config(project_dir: Path, stack: str) -> PlatformConfig:
    import yaml

    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise ConfigError([Problem(f"Pulumi.{stack}.yaml", "no such stack file; create it or fix the stack name")])
    document = yaml.safe_load(path.read_text()) or {}
    return load_config((document.get("config") or {}).get(f"{NAMESPACE}:{PLATFORM_KEY}"), stack)


def plan(config: PlatformConfig, stack: str) -> Plan:
    """Raises ConfigError naming every input the stack still needs before CI can deploy it."""
    problems = [
        Problem(f"{NAMESPACE}:{PLATFORM_KEY}.{m.key}", f"required before `pulumi up`: {m.purpose}")
        for m in missing_inputs(config)
        if m.needed_for == "pulumi up"
    ]
    runner = ci_runner(config)
    if runner is None:
        problems.append(
            Problem(
                f"{NAMESPACE}:{PLATFORM_KEY}.cluster.ciRunner",
                f"required for CI on the {config.cluster.deploy_path} deploy path: GitHub-hosted runners "
                f"have no fixed egress the API server admits; set the label of a runner in "
                f"{'deployerNetworks' if config.cluster.deploy_path == 'deployer-networks' else 'authorizedNetworks'} "
                "(docs/ci-setup.md)",
            )
        )
    if problems:
        raise ConfigError(problems)
    assert runner is not None
    return Plan(stack, config.cloud, config.region, runner, KUBE_AUTH[config.cloud])


def main(argv: list[str] | None = None) -> int:
    stacks = sys.argv[1:] if argv is None else argv
    if not stacks:
        print("usage: python -m store_platform_tools.ci STACK [STACK...]", file=sys.stderr)
        return 1
    project_dir = find_project(Path.cwd())
    plans, problems = [], []
    for stack in stacks:
        try:
            plans.append(plan(stack_config(project_dir, stack), stack))
        except ConfigError as e:
            problems += [f"stack {stack}: {p}" for p in e.problems]
    if problems:
        print("\n".join(f"::error::{p}" for p in problems), file=sys.stderr)
        return 2
    if len(plans) == 1:
        print(plans[0].outputs())
    else:
        print("runners=" + json.dumps({p.stack: p.runner for p in plans}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
