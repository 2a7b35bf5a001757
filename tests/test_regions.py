"""Regions: every region the config accepts has its zones in the static table, and one with
fewer zones than a cluster spreads over is refused with a clear error, on every cloud."""

from __future__ import annotations

import pytest

from components.config import ConfigError, load_config
from components.config.clouds import DEFAULT_REGION, MANAGED_CLOUDS, MIN_ZONES, REGIONS, ZONES


@pytest.mark.parametrize("cloud", MANAGED_CLOUDS)
def test_every_accepted_region_has_its_zones_listed(cloud: str) -> None:
    assert set(ZONES[cloud]) == set(REGIONS[cloud])


@pytest.mark.parametrize("cloud", MANAGED_CLOUDS)
def test_default_regions_offer_enough_zones(cloud: str) -> None:
    assert len(ZONES[cloud][DEFAULT_REGION[cloud]]) >= MIN_ZONES


def test_a_region_with_two_zones_is_refused_naming_the_key_and_alternatives() -> None:
    with pytest.raises(ConfigError) as error:
        load_config({"cloud": "aws", "region": "us-west-1"}, "dev")
    assert [p.path for p in error.value.problems] == ["platform.region"]
    assert "'us-west-1' offers 2 zones and the cluster spreads over 3" in str(error.value)
    assert "us-west-2" in str(error.value)


@pytest.mark.parametrize("cloud", MANAGED_CLOUDS)
def test_any_region_short_of_zones_is_refused(cloud: str, monkeypatch: pytest.MonkeyPatch) -> None:
    region = DEFAULT_REGION[cloud]
    monkeypatch.setitem(ZONES[cloud], region, ZONES[cloud][region][:2])
    with pytest.raises(ConfigError, match="offers 2 zones"):
        load_config({"cloud": cloud, "region": region}, "dev")


@pytest.mark.parametrize(("cloud", "region"), [("gcp", "us-east1"), ("gcp", "us-central1")])
def test_gcp_zone_names_follow_the_regions_lettering(cloud: str, region: str) -> None:
    expected = {"us-east1": "bcd", "us-central1": "abcf"}[region]
    assert ZONES[cloud][region] == tuple(f"{region}-{letter}" for letter in expected)
