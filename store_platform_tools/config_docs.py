"""The README's configuration reference, generated from the config model and its defaults so the
two cannot disagree (`make docs` rewrites it; a test fails when it is stale)."""

from __future__ import annotations

import json
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from components.config.defaults import defaults_for
from components.config.model import ENVIRONMENTS, PlatformConfig

START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"
_MISSING = object()


def _type_text(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_text(a) for a in args if a is not type(None))
    if origin is dict:
        return "map"
    return getattr(annotation, "__name__", str(annotation))


def _fmt(value: Any) -> str:
    if value is _MISSING:
        return "—"
    return f"`{json.dumps(value, separators=(', ', ': '))}`" if not isinstance(value, str) else f"`{value}`"


def _at(defaults: Any, key: str) -> Any:
    return defaults.get(key, _MISSING) if isinstance(defaults, dict) else _MISSING


def _model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _rows(model: type[BaseModel], path: str, defaults: list[Any]) -> Iterator[list[str]]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        here = f"{path}.{key}" if path else key
        values = [_at(d, key) for d in defaults]
        nested = _model(field.annotation)
        if nested:
            yield from _rows(nested, here, values)
            continue
        if typing.get_origin(field.annotation) is dict and _model(typing.get_args(field.annotation)[1]):
            inner = _model(typing.get_args(field.annotation)[1])
            assert inner is not None
            # One row per field of the entries: its default where all entries share it.
            per_entry = [list(v.values()) if isinstance(v, dict) and v else [_MISSING] for v in values]
            yield from _rows_shared(inner, f"{here}.<name>", per_entry)
            continue
        yield [f"`{here}`", _type_text(field.annotation), field.description or "", *map(_fmt, values)]


def _rows_shared(model: type[BaseModel], path: str, entries_per_env: list[list[Any]]) -> Iterator[list[str]]:
    for row in _rows(model, path, [entries[0] for entries in entries_per_env]):
        key_path = row[0].strip("`").split(".<name>.", 1)[1].split(".")
        for column, entries in enumerate(entries_per_env):
            seen = {json.dumps(_dig(e, key_path), default=str) for e in entries}
            if len(seen) > 1:
                row[3 + column] = "per entry (defaults.py)"
        yield row


def _dig(value: Any, keys: list[str]) -> Any:
    for key in keys:
        value = _at(value, key)
    return value


def config_table() -> str:
    header = ["key (under `store-platform:platform`)", "type", "meaning", *ENVIRONMENTS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    defaults = [defaults_for(env) for env in ENVIRONMENTS]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(PlatformConfig, "", defaults)]
    return "\n".join(lines)


def updated_readme(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{config_table()}\n{END}{after}"


def main() -> int:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(updated_readme(readme.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
