"""A small Alertmanager routing-tree walker for tests: which receivers an alert's labels reach,
and which alerts an inhibition rule mutes. Follows Alertmanager's documented semantics: a
route matches when all its matchers do; children are tried in order and the first match wins
unless it says `continue`; an alert no child takes stays with the route itself."""

from __future__ import annotations

import re
from typing import Any

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def matches(matcher: str, labels: dict[str, str]) -> bool:
    found = _MATCHER.match(matcher)
    assert found, f"unparsable matcher {matcher!r}"
    name, op, value = found.groups()
    actual = labels.get(name, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    hit = re.fullmatch(value, actual) is not None
    return hit if op == "=~" else not hit


def _route_matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(matches(m, labels) for m in route.get("matchers", []))


def receivers_for(route: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The receivers `labels` reach from `route` (the tree's root matches everything)."""
    reached: list[str] = []
    for child in route.get("routes", []):
        if _route_matches(child, labels):
            reached += receivers_for({"receiver": route["receiver"], **child}, labels)
            if not child.get("continue", False):
                return reached
    return reached or [route["receiver"]]


def inhibited(config: dict[str, Any], target: dict[str, str], firing: list[dict[str, str]]) -> bool:
    """Whether `target` is muted by one of the `firing` alerts under the config's inhibit rules."""
    for rule in config.get("inhibit_rules", []):
        if not all(matches(m, target) for m in rule.get("target_matchers", [])):
            continue
        for source in firing:
            if all(matches(m, source) for m in rule.get("source_matchers", [])) and all(
                source.get(label, "") == target.get(label, "") for label in rule.get("equal", [])
            ):
                return True
    return False
