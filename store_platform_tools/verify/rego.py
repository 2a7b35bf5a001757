"""Gatekeeper templates' Rego, evaluated by regopy (rego-cpp) in a process of its own.

Why a process of its own: regopy's library binds its C++ runtime wrongly when another extension
loaded libstdc++ first (Pulumi's grpc does, and verify renders the stack before it checks), and
then aborts the interpreter on its first module. A fresh `python -m` that imports only regopy
is safe, and costs a fraction of a second.

Why regopy 0.4: Gatekeeper's templates are Rego v0 (`violation[{"msg": msg}] { ... }`), which
0.4 reads by default; 1.x reads only v1, where that rule is a partial object, and refuses or
empties iteration inside a call argument (`lower(xs[_])`). 0.4 has one gap the vendored templates
reach: a call inside a ref's brackets (`parts[count(parts) - 1]`) is undefined, so `Policy.code`
binds such an index to a variable first, which means the same in Rego.

Why batches: the interpreter recompiles its modules on every query and its cost grows with the
size of the input, so each template is queried once for all its reviews (`with input as`), and
callers pass only the fields a template reads (`project`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An index (brackets right after a name or another index) holding a call, on one line.
_CALL_INDEX = re.compile(r"(?<=[\w\]])\[([^\[\]\"]*\w\([^\[\]\"]*)\]")


@dataclass(frozen=True)
class Policy:
    """One template's Rego: its main module and the libraries it imports."""

    rego: str
    libs: tuple[str, ...] = ()

    @property
    def package(self) -> str:
        found = _PACKAGE.search(self.rego)
        return found.group(1) if found else ""

    def code(self) -> tuple[str, ...]:
        """The modules as the evaluator gets them: each call inside an index bound beforehand."""
        return tuple(_bind_call_indexes(m) for m in (self.rego, *self.libs))

    def names(self) -> frozenset[str]:
        """Every identifier and string word the code mentions: the fields it can read by name."""
        return frozenset(_WORD.findall("\n".join((self.rego, *self.libs))))


def _bind_call_indexes(module: str) -> str:
    lines: list[str] = []
    for line in module.splitlines():
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        # Only statements of a rule body (indented, not a comprehension): binding is safe there.
        while indent and "|" not in body and not body.startswith("#") and (found := _CALL_INDEX.search(line)):
            name = f"__verify_index{len(lines)}"
            lines.append(f"{indent}{name} := {found.group(1).strip()}")
            line = f"{line[: found.start()]}[{name}]{line[found.end() :]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


class RegoError(RuntimeError):
    pass


def project(value: Any, keep: frozenset[str]) -> Any:
    """`value` with only the map keys in `keep`. A map of scalars only (labels, annotations,
    resource quantities) is kept whole: a policy iterates those by key, never names each one."""
    if isinstance(value, dict):
        if all(not isinstance(v, dict | list) for v in value.values()):
            return value
        return {k: project(v, keep) for k, v in value.items() if k in keep}
    if isinstance(value, list):
        return [project(v, keep) for v in value]
    return value


def evaluate(
    batches: list[tuple[Policy, dict[str, Any], list[dict[str, Any]]]],
) -> list[list[list[dict[str, Any]]] | str]:
    """For each (policy, data, inputs): the violations of each input, or the error that stopped
    the policy from being evaluated."""
    if not batches:
        return []
    request = [
        {"package": p.package, "modules": list(p.code()), "data": data, "inputs": inputs} for p, data, inputs in batches
    ]
    done = subprocess.run(
        [sys.executable, "-m", __name__], input=json.dumps(request), capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RegoError(f"the Rego evaluator failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(lines[-1])


_BATCH = """package store_platform_verify_batch

results[i] = violations {
  item := input.items[i]
  violations := [v | v := data.%s.violation[_] with input as item]
}
"""


def _evaluate_one(interpreter_class: Any, job: dict[str, Any]) -> list[list[dict[str, Any]]] | str:
    rego = interpreter_class()
    try:
        for n, module in enumerate(job["modules"]):
            rego.add_module(f"module{n}", module)
        rego.add_module("batch", _BATCH % job["package"])
        if job["data"]:
            rego.add_data(job["data"])
        rego.set_input({"items": job["inputs"]})
        output = str(rego.query("data.store_platform_verify_batch.results"))
    except Exception as error:  # regopy raises its own error type for a module it cannot compile
        return str(error)
    try:
        results = json.loads(output)["expressions"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return output.strip()
    return [results.get(str(n), []) for n in range(len(job["inputs"]))]


def main() -> None:
    from regopy import Interpreter

    jobs = json.load(sys.stdin)
    results = [_evaluate_one(Interpreter, job) for job in jobs]
    # The interpreter may print its own diagnostics: the answer is the last line.
    sys.stdout.write("\n" + json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
