"""`make checkov-chart`: checkov over charts/service rendered for every service, environment and
mesh, from an isolated, pinned checkov (`uv tool run`), failing on the checks the platform
requires of its workloads.

checkov knows no Argo Rollouts kind and would skip the Rollout, so each Rollout is scanned as
the Deployment with the same pod template. The release pipeline pins each image by digest
(image.digest) when it promotes a build; no image exists offline, so the scan sets a
well-formed stand-in digest (derived from the image reference) to check the chart pins it.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from . import service_chart
from .stackfile import find_project

CHECKOV = "checkov==3.3.30"
REQUIRED_CHECKS = [f"CKV_K8S_{n}" for n in (*range(8, 24), 28, 31, 37, 38, 43)]
STACKS = (*service_chart.SHIPPED_ENVIRONMENTS, "local")
MESHES = ("istio", "linkerd")


def as_scanned(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as checkov should see it: a Rollout becomes the equivalent Deployment."""
    if obj["kind"] != "Rollout":
        return obj
    spec = obj["spec"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": obj["metadata"],
        "spec": {"selector": spec["selector"], "template": spec["template"]},
    }


def stand_in_digest(service: str, tag: str) -> str:
    return "sha256:" + hashlib.sha256(f"store-management-{service}:{tag}".encode()).hexdigest()


def write_renders(project_dir: Path, out: Path) -> int:
    """Every service x stack x mesh, one YAML file each; returns how many objects were written."""
    written = 0
    for stack in STACKS:
        config = service_chart.stack_config(project_dir, stack)
        for service in service_chart.SERVICES:
            for mesh in MESHES:
                passed = {**service_chart.passed_values(config, service), "mesh": mesh}
                values = service_chart.layered_values(service, config.environment, passed)
                image = values.setdefault("image", {})
                image.setdefault("digest", stand_in_digest(service, image["tag"]))
                objects = [as_scanned(o) for o in service_chart.render(values)]
                (out / f"{stack}-{service}-{mesh}.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
                written += len(objects)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="checkov-chart", description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", default="uv", help="uv executable that runs the pinned checkov")
    args = parser.parse_args(argv)
    project_dir = find_project(Path.cwd())
    with tempfile.TemporaryDirectory(prefix="checkov-chart-") as tmp:
        count = write_renders(project_dir, Path(tmp))
        print(f"checkov-chart: scanning {count} objects rendered from charts/service")
        command = [args.uv, "tool", "run", CHECKOV, "--directory", tmp, "--framework", "kubernetes"]
        command += ["--check", ",".join(REQUIRED_CHECKS), "--skip-download", "--compact", "--quiet"]
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
