"""What `make checkov-chart` hands checkov: the Rollout's pod template under a kind checkov
knows, every required check, and image references in the form the release pipeline pins."""

from __future__ import annotations

import re

from store_platform_tools import service_chart
from store_platform_tools.checkov_chart import REQUIRED_CHECKS, as_scanned, stand_in_digest
from tests.rendering import ROOT


def test_rollout_is_scanned_as_a_deployment_with_the_same_pod_template() -> None:
    config = service_chart.stack_config(ROOT, "prod")
    objects = service_chart.render(
        service_chart.layered_values("sales", "prod", service_chart.passed_values(config, "sales"))
    )
    (rollout,) = [o for o in objects if o["kind"] == "Rollout"]
    scanned = as_scanned(rollout)
    assert (scanned["apiVersion"], scanned["kind"]) == ("apps/v1", "Deployment")
    assert scanned["spec"]["template"] == rollout["spec"]["template"]
    assert scanned["metadata"]["namespace"] == "store"


def test_other_objects_are_scanned_unchanged() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "sales"}, "spec": {}}
    assert as_scanned(service) is service


def test_scan_fails_on_the_checks_the_platform_requires() -> None:
    numbers = {int(check.removeprefix("CKV_K8S_")) for check in REQUIRED_CHECKS}
    assert numbers == {*range(8, 24), 28, 31, 37, 38, 43}


def test_stand_in_digest_is_a_well_formed_sha256_digest() -> None:
    assert re.fullmatch(r"sha256:[a-f0-9]{64}", stand_in_digest("sales", "1.0.0"))
