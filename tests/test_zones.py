"""Zones are pinned in config or derived once from the zone table; never read live, so a zone's
status changing never re-plans subnets or node locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import ConfigError
from components.config.clouds import ZONES
from store_platform_tools import mocks
from tests.lifecycle import plan
from tests.rendering import of_type, one, render, render_with

SUBNET = "aws:ec2/subnet:Subnet"
GKE = "gcp:container/cluster:Cluster"
ZONE_LOOKUPS = ("aws:index/getAvailabilityZones:getAvailabilityZones", "gcp:compute/getZones:getZones")


def subnet_zones(result: object, tier: str) -> list[str]:
    return [s["inputs"]["availabilityZone"] for s in of_type(result, SUBNET) if f"-{tier}-" in s["name"]]


def test_eks_subnets_take_the_first_three_zones_of_the_table() -> None:
    assert subnet_zones(render("dev", "aws"), "private") == list(ZONES["aws"]["us-east-1"][:3])


def test_gke_node_locations_take_the_first_three_zones_of_the_table() -> None:
    assert one(render("dev", "gcp"), GKE)["inputs"]["nodeLocations"] == list(ZONES["gcp"]["us-central1"][:3])


def test_pinned_zones_are_used_as_given(tmp_path: Path) -> None:
    pinned = ["us-east-1b", "us-east-1c", "us-east-1d"]
    result = render_with("dev", tmp_path, {"cluster": {"zones": pinned}}, "aws")
    assert subnet_zones(result, "private") == pinned == subnet_zones(result, "public")


def test_a_zone_outside_the_region_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not zones of us-east-1"):
        render_with("dev", tmp_path, {"cluster": {"zones": ["us-east-1a", "us-east-1b", "us-west-2a"]}}, "aws")


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_zone_going_down_changes_nothing(cloud: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def only_two_zones(args: dict) -> dict:
        raise AssertionError("the program read the zones live")

    for token in ZONE_LOOKUPS:
        monkeypatch.setitem(mocks.CALLS, token, only_two_zones)
    p = plan(render("dev", cloud), render_with("dev", tmp_path, {}, cloud))
    assert p.changed() == set()
