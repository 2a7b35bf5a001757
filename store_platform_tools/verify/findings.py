"""A finding: the object, the rule it breaks, and which way the fix lies."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    check: str  # schemas, pod-security, admission, network, wiring, images, helm
    subject: str  # the object (or flow) concerned, with where it comes from
    rule: str  # what is broken
    fix: str  # the direction of the fix

    def line(self) -> str:
        return f"[{self.check}] {self.subject}: {self.rule}; fix: {self.fix}"
