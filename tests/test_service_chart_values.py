"""charts/service refuses bad values with a message that names the key, and its value files
agree with the stack config they sit beside."""

from __future__ import annotations

from typing import Any

import helm_python
import pytest
import yaml

from components.config import SERVICES
from components.config.defaults import deep_merge, defaults_for
from store_platform_tools import service_chart
from tests.rendering import ROOT


def good_values() -> dict[str, Any]:
    config = service_chart.stack_config(ROOT, "prod")
    return service_chart.layered_values("sales", "prod", service_chart.passed_values(config, "sales"))


def refusal(change: dict[str, Any]) -> str:
    with pytest.raises(helm_python.HelmError) as refused:
        service_chart.render(deep_merge(good_values(), change))
    return str(refused.value)


def test_good_values_render() -> None:
    assert service_chart.render(good_values())


def test_unknown_top_level_key_is_refused_by_name() -> None:
    assert "additional properties 'replicas' not allowed" in refusal({"replicas": 3})


def test_misspelt_nested_key_is_refused_with_its_path() -> None:
    message = refusal({"canary": {"weight": [10]}})
    assert "at '/canary'" in message
    assert "'weight' not allowed" in message


def test_replica_count_as_a_string_is_refused_with_the_expected_type() -> None:
    assert "at '/autoscaling/minReplicas': got string, want integer" in refusal({"autoscaling": {"minReplicas": "3"}})


def test_unknown_service_is_refused_with_the_allowed_names() -> None:
    message = refusal({"service": "billing"})
    assert "at '/service'" in message
    assert "'gateway', 'attendance', 'inventory', 'sales', 'notification', 'auth'" in message


def test_unknown_mesh_is_refused() -> None:
    assert "at '/mesh'" in refusal({"mesh": "consul"})


def test_availability_of_100_percent_is_refused() -> None:
    assert "at '/slo/availability'" in refusal({"slo": {"availability": 100}})


def test_latest_tag_is_refused_with_the_fix() -> None:
    assert "pin a release tag" in refusal({"image": {"tag": "latest"}})


def test_malformed_digest_is_refused() -> None:
    assert "at '/image/digest'" in refusal({"image": {"digest": "sha256:abc"}})


def test_public_gateway_without_a_host_is_refused() -> None:
    config = service_chart.stack_config(ROOT, "prod")
    values = service_chart.layered_values("gateway", "prod", service_chart.passed_values(config, "gateway"))
    with pytest.raises(helm_python.HelmError, match=r"ingress\.host is required"):
        service_chart.render(deep_merge(values, {"ingress": {"host": ""}}))


@pytest.mark.parametrize("path", sorted((service_chart.CHART / "values").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_value_file_is_valid_on_its_own_over_the_defaults(path: Any) -> None:
    with helm_python.Chart.load(service_chart.CHART) as chart:
        values = deep_merge(good_values(), yaml.safe_load(path.read_text()))
        chart.validate_schema(chart.merge_values(values))


@pytest.mark.parametrize("service", SERVICES)
def test_team_of_each_service_file_is_the_configured_team(service: str) -> None:
    values = yaml.safe_load((service_chart.CHART / "values" / f"{service}.yaml").read_text())
    assert values["team"] == defaults_for("prod")["services"][service]["team"]


def test_value_files_layer_service_then_environment_then_both() -> None:
    names = [p.relative_to(service_chart.CHART).as_posix() for p in service_chart.value_files("gateway", "prod")]
    assert names == ["values/gateway.yaml", "values/prod.yaml", "values/prod/gateway.yaml"]


def test_called_by_is_derived_from_the_other_services_calls() -> None:
    config = service_chart.stack_config(ROOT, "dev")
    assert service_chart.passed_values(config, "notification")["calledBy"] == [
        "gateway",
        "attendance",
        "inventory",
        "sales",
    ]
