"""`make checkov`: render every shipped stack and scan the Kubernetes objects the program itself
declares (each render's manifests/, not the third-party charts) with checkov, run from its own
pinned, isolated environment (`uv tool run`), failing on the checks issue 5 names.

A finding that must stay is suppressed on the object with checkov's annotation
`checkov.io/skip<N>: <CHECK_ID>=<justification>`; tests/test_security_checkov.py refuses one
without a justification.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .render import run_program, write
from .stackfile import find_project, load_stack

CHECKOV = "checkov==3.3.30"
CHECKS: tuple[str, ...] = (
    *(f"CKV_K8S_{n}" for n in range(10, 24)),  # requests/limits, privileged, host namespaces, root, NET_RAW...
    "CKV_K8S_27",  # Docker socket
    "CKV_K8S_28",  # NET_RAW
    "CKV_K8S_31",  # seccomp
    "CKV_K8S_37",  # capabilities
    "CKV_K8S_38",  # service account tokens only where needed
    "CKV_K8S_39",  # SYS_ADMIN
    "CKV_K8S_49",  # wildcards in Roles
    *(f"CKV_K8S_{n}" for n in range(155, 159)),  # escalate, bind, impersonate, secrets in ClusterRoles
    "CKV2_K8S_5",  # no ServiceAccount/Node able to read all secrets
    "CKV2_K8S_6",  # every pod covered by a NetworkPolicy
)
STACKS = ("dev", "staging", "prod")
_SKIP = re.compile(r"^checkov\.io/skip\d+$")
_JUSTIFIED = re.compile(r"^CKV2?_K8S_\d+=\S.{9,}$")  # the check id, then at least ten characters of why


def unjustified_suppressions(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Every checkov suppression annotation that does not say why, as `Kind/name: annotation`."""
    found = []
    for obj in objects:
        metadata = obj.get("metadata") or {}
        for key, value in (metadata.get("annotations") or {}).items():
            if _SKIP.match(key) and not _JUSTIFIED.match(str(value)):
                found.append(f"{obj.get('kind')}/{metadata.get('name')}: {key}: {value!r}")
    return found


def render_all(project: Path, out: Path, clouds: list[str]) -> list[Path]:
    """Every stack on every cloud in `clouds`, plus local on its existing cluster."""
    targets = [(stack, cloud) for stack in STACKS for cloud in clouds] + [("local", None)]
    dirs = []
    for stack_name, cloud in targets:
        stack = load_stack(project, stack_name, cloud=cloud)
        target = out / f"{stack_name}-{cloud or 'existing'}"
        write(run_program(stack), stack, target)
        dirs.append(target / "manifests")
    return dirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store-platform-checkov", description=__doc__)
    parser.add_argument("--uv", default="uv", help="the uv executable that runs checkov in its own environment")
    parser.add_argument("--out", type=Path, help="where the renders go (default: out/checkov)")
    parser.add_argument("--clouds", nargs="+", default=["aws", "gcp", "azure"], help="clouds to render each stack on")
    args = parser.parse_args(argv)
    project = find_project(Path.cwd())
    out = args.out or project / "out" / "checkov"
    dirs = render_all(project, out, args.clouds)
    objects = [yaml.safe_load(f.read_text()) for d in dirs for f in sorted(d.glob("*.yaml"))]
    unjustified = unjustified_suppressions(objects)
    if unjustified:
        print("checkov suppressions need a justification (CKV_K8S_n=why):", *unjustified, sep="\n  ")
        return 1
    command = [args.uv, "tool", "run", CHECKOV, "--framework", "kubernetes", "--check", ",".join(CHECKS)]
    command += ["--compact", "--quiet", "--skip-download"]  # no network: no guideline download
    for directory in dirs:
        command += ["--directory", str(directory)]
    print(f"checkov: {len(dirs)} renders, checks {', '.join(CHECKS)}", flush=True)
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
