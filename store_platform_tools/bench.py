"""Render and verify every shipped stack on every cloud, each in a fresh process (as a user would
run it), and print wall time and peak memory of each, beside the time a fresh interpreter needs
only to import the Pulumi SDK modules that render loads. Targets on a 2-core machine: a render
under 2 s and 300 MB; a verify (full render and every check) under 15 s.

    make bench            # or: python -m store_platform_tools.bench [--repeat N] [--check] [--charts DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STACKS_ON_CLOUDS = [(s, c) for s in ("dev", "staging", "prod") for c in ("aws", "gcp", "azure")] + [
    ("local", "existing")
]
TARGET_SECONDS, TARGET_MB = 2.0, 300.0
VERIFY_TARGET_SECONDS = 15.0


def run_timed(*args: str) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and output of `store-platform ARGS` in a fresh process."""
    cli = Path(sys.executable).with_name("store-platform")
    start = time.perf_counter()
    process = subprocess.Popen([str(cli), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""  # read before waiting: a full pipe would block it
    _, status, usage = os.wait4(process.pid, 0)  # rusage of this child alone
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"store-platform {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output


def measure(stack: str, cloud: str, out: Path) -> tuple[float, float, int]:
    """Wall seconds, peak resident MB of the render process, and resources rendered."""
    seconds, mb, output = run_timed("render", stack, "--cloud", cloud, "--out", str(out))
    resources = int(output.split(" resources", 1)[0].rsplit(" ", 1)[-1])
    return seconds, mb, resources


def measure_verify(stack: str, cloud: str, charts: Path) -> tuple[float, float]:
    seconds, mb, _ = run_timed("verify", stack, "--cloud", cloud, "--charts", str(charts))
    return seconds, mb


_LOADED_SDK_MODULES = """
import sys
from pathlib import Path
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
run_program(load_stack(Path.cwd(), sys.argv[1], cloud=sys.argv[2]))
print(" ".join(m for m in sys.modules if m.split(".")[0] in {sdks}))
"""
_SDKS = (
    "pulumi",
    "pulumi_kubernetes",
    "pulumi_aws",
    "pulumi_gcp",
    "pulumi_azure_native",
    "pulumi_tls",
    "pulumi_random",
)


def sdk_import_floor(stack: str, cloud: str) -> float:
    """Seconds a fresh interpreter takes just to import the Pulumi SDK modules this render loads:
    the part of a render's time no code of ours can remove."""
    code = _LOADED_SDK_MODULES.format(sdks=set(_SDKS))
    modules = subprocess.run(
        [sys.executable, "-c", code, stack, cloud], capture_output=True, text=True, check=True
    ).stdout.split()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import " + ", ".join(modules)], check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per stack; the best is reported")
    parser.add_argument("--check", action="store_true", help="exit 1 if any render misses the target")
    parser.add_argument("--charts", type=Path, default=Path("../shared/upstream/charts-pkg"), help="chart archives")
    args = parser.parse_args()
    missed = []
    header = f"{'stack':8} {'cloud':9} {'resources':>9} {'wall s':>7} {'peak MB':>8} {'SDK import s':>13}"
    print(header + f" {'verify s':>9} {'verify MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for stack, cloud in STACKS_ON_CLOUDS:
            runs = [measure(stack, cloud, Path(tmp) / f"{stack}-{cloud}") for _ in range(args.repeat)]
            seconds, mb = min(r[0] for r in runs), max(r[1] for r in runs)
            floor = min(sdk_import_floor(stack, cloud) for _ in range(args.repeat))
            verifies = [measure_verify(stack, cloud, args.charts) for _ in range(args.repeat)]
            verify_s, verify_mb = min(v[0] for v in verifies), max(v[1] for v in verifies)
            print(
                f"{stack:8} {cloud:9} {runs[0][2]:9d} {seconds:7.2f} {mb:8.0f} {floor:13.2f}"
                f" {verify_s:9.2f} {verify_mb:10.0f}"
            )
            if seconds > TARGET_SECONDS or mb > TARGET_MB or verify_s > VERIFY_TARGET_SECONDS:
                missed.append(f"{stack}/{cloud}")
    print(
        f"targets: render under {TARGET_SECONDS} s and {TARGET_MB:.0f} MB, verify under {VERIFY_TARGET_SECONDS:.0f} s; "
        + (f"missed by {', '.join(missed)}" if missed else "all within")
    )
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
