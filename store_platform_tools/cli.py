"""`store-platform`: the offline tooling around the Pulumi program."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from pathlib import Path

from components.config import ConfigError
from components.config.clouds import CLOUDS

EXIT_INVALID_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `render ... | head` ends quietly, as a Unix tool should
    parser = argparse.ArgumentParser(prog="store-platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="write everything a stack would create, offline")
    render.add_argument("stack", help="stack name: dev, staging, prod, local...")
    render.add_argument("--cloud", choices=CLOUDS, help="render on this cloud instead of the stack's")
    render.add_argument("--config-file", type=Path, help="stack file to use instead of Pulumi.<stack>.yaml")
    render.add_argument("--out", type=Path, help="output folder (default: out/<stack>[-<cloud>])")
    render.add_argument(
        "--preview", action="store_true", help="as `pulumi preview` of a new stack: computed outputs unknown"
    )
    graph = commands.add_parser("graph", help="create order in waves and the critical path, with estimated times")
    graph.add_argument("stack")
    graph.add_argument("--cloud", choices=CLOUDS)
    graph.add_argument("--config-file", type=Path)
    graph.add_argument("--json", action="store_true", help="machine-readable plan")
    args = parser.parse_args(argv)
    return _render(args) if args.command == "render" else _graph(args)


def _graph(args: argparse.Namespace) -> int:
    from . import graph, render
    from .stackfile import find_project, load_stack

    try:
        stack = load_stack(find_project(Path.cwd()), args.stack, args.config_file, args.cloud)
        plan = graph.plan(render.run_program(stack, preview=True).resources)
    except ConfigError as e:
        print(f"store-platform: stack {args.stack}: {e}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except FileNotFoundError as e:
        print(f"store-platform: {e}", file=sys.stderr)
        return 1
    print(
        graph.as_json(plan)
        if args.json
        else graph.report(plan, args.stack + (f" on {args.cloud}" if args.cloud else ""))
    )
    return 0


def _render(args: argparse.Namespace) -> int:
    from . import render
    from .stackfile import find_project, load_stack

    try:
        project_dir = find_project(Path.cwd())
        stack = load_stack(project_dir, args.stack, args.config_file, args.cloud)
        result = render.run_program(stack, preview=args.preview)
    except ConfigError as e:
        print(f"store-platform: stack {args.stack}: {e}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except FileNotFoundError as e:
        print(f"store-platform: {e}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    out = args.out or project_dir / "out" / (args.stack + (f"-{args.cloud}" if args.cloud else ""))
    render.write(result, stack, out)
    print(render.summary(result, stack, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
