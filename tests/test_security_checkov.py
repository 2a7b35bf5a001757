"""The checkov gate: the checks it fails on, and suppressions only with a written justification."""

from __future__ import annotations

import pytest

from store_platform_tools.checkov import CHECKOV, CHECKS, unjustified_suppressions
from tests.rendering import render

ISSUE_CHECKS = {
    *(f"CKV_K8S_{n}" for n in (*range(10, 24), 27, 28, 31, 37, 38, 39, 49, *range(155, 159))),
    "CKV2_K8S_5",
    "CKV2_K8S_6",
}


def _pod(annotations: dict[str, str]) -> dict:
    return {"kind": "Pod", "metadata": {"name": "p", "annotations": annotations}}


def test_the_gate_fails_on_exactly_the_checks_issue_5_names() -> None:
    assert set(CHECKS) == ISSUE_CHECKS


def test_checkov_is_pinned_to_one_version() -> None:
    assert CHECKOV.startswith("checkov==") and CHECKOV.count(".") == 2


def test_a_suppression_with_a_justification_is_accepted() -> None:
    assert unjustified_suppressions([_pod({"checkov.io/skip1": "CKV_K8S_16=Falco loads its eBPF probe"})]) == []


@pytest.mark.parametrize("value", ["CKV_K8S_16", "CKV_K8S_16=", "CKV_K8S_16=because", "falco needs it"])
def test_a_suppression_without_a_justification_is_refused(value: str) -> None:
    assert unjustified_suppressions([_pod({"checkov.io/skip1": value})]) == [f"Pod/p: checkov.io/skip1: {value!r}"]


@pytest.mark.parametrize(("stack", "cloud"), [("dev", "existing"), ("prod", "existing"), ("local", None)])
def test_every_suppression_in_the_renders_is_justified(stack: str, cloud: str | None) -> None:
    assert unjustified_suppressions(render(stack, cloud).manifests.values()) == []
