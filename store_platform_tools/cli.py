"""`store-platform`: the offline tooling around the Pulumi program."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from components.config import ConfigError
from components.config.clouds import CLOUDS

if TYPE_CHECKING:
    from .render import RenderResult
    from .stackfile import StackConfig

EXIT_FINDINGS = 1
EXIT_INVALID_CONFIG = 2
DEFAULT_CHARTS = Path(".charts")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `render ... | head` ends quietly, as a Unix tool should
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "render": _render,
        "graph": _graph,
        "verify": _verify,
        "images": _images,
        "charts": _charts,
    }
    return handlers[args.command](args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="store-platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    render = _stack_command(commands, "render", "write everything a stack would create, offline")
    render.add_argument("--out", type=Path, help="output folder (default: out/<stack>[-<cloud>])")
    render.add_argument(
        "--preview", action="store_true", help="as `pulumi preview` of a new stack: computed outputs unknown"
    )
    render.add_argument(
        "--full", action="store_true", help="also render every Helm release from its chart archive into manifests/"
    )
    _charts_option(render)

    graph = _stack_command(commands, "graph", "create order in waves and the critical path, with estimated times")
    graph.add_argument("--json", action="store_true", help="machine-readable plan")

    verify = _stack_command(
        commands, "verify", "full render, then schemas, Pod Security, admission, network flows, wiring and images"
    )
    _charts_option(verify)
    verify.add_argument("--check", action="append", help="run only this check (repeatable)")

    images = _stack_command(commands, "images", "every image the stack runs, for mirroring and scanning")
    _charts_option(images)

    charts = commands.add_parser("charts", help="chart archives for the full render")
    charts_commands = charts.add_subparsers(dest="charts_command", required=True)
    pull = charts_commands.add_parser("pull", help="download every chart the catalogue pins (`helm pull` layout)")
    pull.add_argument("--dest", type=Path, default=DEFAULT_CHARTS, help=f"cache folder (default: {DEFAULT_CHARTS})")

    return parser


def _stack_command(commands: argparse._SubParsersAction, name: str, help_: str) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_)
    command.add_argument("stack", help="stack name: dev, staging, prod, local...")
    command.add_argument("--cloud", choices=CLOUDS, help="run the stack on this cloud instead of its own")
    command.add_argument("--config-file", type=Path, help="stack file to use instead of Pulumi.<stack>.yaml")
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="lay a platform config value over the stack's, e.g. mesh.provider=linkerd (repeatable)",
    )
    return command


def _charts_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--charts",
        type=Path,
        default=DEFAULT_CHARTS,
        help=f"folder of chart archives, <chart>-<version>.tgz (default: {DEFAULT_CHARTS}; "
        "fill it with `store-platform charts pull`)",
    )


Body = Callable[[Path, "StackConfig", "RenderResult"], int]


def _guarded(args: argparse.Namespace, body: Body, preview: bool = False) -> int:
    """Load the stack, run the program, then `body(project_dir, stack, result)`; one exit-code policy."""
    from . import render
    from .stackfile import find_project, load_stack, parse_overrides
    from .verify.charts import MissingArchive

    try:
        project_dir = find_project(Path.cwd())
        stack = load_stack(project_dir, args.stack, args.config_file, args.cloud, parse_overrides(args.set))
        result = render.run_program(stack, preview=preview)
        return body(project_dir, stack, result)
    except ConfigError as e:
        print(f"store-platform: stack {args.stack}: {e}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except (FileNotFoundError, MissingArchive, ValueError) as e:
        print(f"store-platform: {e}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1


def _graph(args: argparse.Namespace) -> int:
    from . import graph

    def body(_: Path, __: StackConfig, result: RenderResult) -> int:
        plan = graph.plan(result.resources)
        title = args.stack + (f" on {args.cloud}" if args.cloud else "")
        print(graph.as_json(plan) if args.json else graph.report(plan, title))
        return 0

    return _guarded(args, body, preview=True)


def _render(args: argparse.Namespace) -> int:
    from . import render

    def body(project_dir: Path, stack: StackConfig, result: RenderResult) -> int:
        out = args.out or project_dir / "out" / (args.stack + (f"-{args.cloud}" if args.cloud else ""))
        installed = []
        if args.full:
            from .verify.cluster_baseline import SOURCE as CLUSTER_SOURCE
            from .verify.run import platform_of

            platform = platform_of(result, stack, _charts_dir(project_dir, args.charts), project_dir)
            for refusal in platform.refused:
                print(f"store-platform: {refusal}", file=sys.stderr)
            if platform.refused:
                return 1
            # What the stack makes run beyond its own objects; the cluster's stand-ins are not its.
            installed = [o for o in platform.objects if o.source not in ("program", CLUSTER_SOURCE)]
        render.write(result, stack, out, installed)
        print(render.summary(result, stack, out))
        if args.full:
            print(f"full render: {len(installed)} more objects (releases, Argo CD, operators) -> {out}/manifests")
        return 0

    return _guarded(args, body, preview=args.preview)


def _verify(args: argparse.Namespace) -> int:
    from .verify.run import platform_of, run_checks

    def body(project_dir: Path, stack: StackConfig, result: RenderResult) -> int:
        platform = platform_of(result, stack, _charts_dir(project_dir, args.charts), project_dir)
        findings = run_checks(platform, args.check)
        for finding in findings:
            print(finding.line())
        title = args.stack + (f" on {args.cloud}" if args.cloud else "")
        print(f"verify {title}: {len(platform.objects)} objects, {len(platform.pods)} pods, {len(findings)} findings")
        return EXIT_FINDINGS if findings else 0

    return _guarded(args, body)


def _images(args: argparse.Namespace) -> int:
    from .verify.images import images_of
    from .verify.run import platform_of

    def body(project_dir: Path, stack: StackConfig, result: RenderResult) -> int:
        platform = platform_of(result, stack, _charts_dir(project_dir, args.charts), project_dir)
        for image in sorted(images_of(platform.pods)):
            print(image)
        return 0

    return _guarded(args, body)


def _charts(args: argparse.Namespace) -> int:
    from .verify.charts import catalogue_charts, pull

    for path in pull(catalogue_charts(), args.dest):
        print(path)
    return 0


def _charts_dir(project_dir: Path, given: Path) -> Path:
    return given if given.is_absolute() or given != DEFAULT_CHARTS else project_dir / given


if __name__ == "__main__":
    sys.exit(main())
