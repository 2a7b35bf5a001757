"""Upgrades: a Kubernetes minor upgrade never downgrades an EKS add-on; CRD charts follow their
component's catalogue line; every CRD is installed by a release Helm upgrades; the lifecycle of a
minor upgrade and of a chart bump with a CRD change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.catalogue import CATALOGUE, COMPONENTS, CRD_CHARTS, chart_for
from components.cluster.eks.addons import ADDON_VERSIONS
from components.config.clouds import KUBERNETES_VERSIONS
from tests.lifecycle import plan, unsafe_removals
from tests.rendering import config_of, render, render_with

CLOUDS = ("aws", "gcp", "azure")


def _version(text: str) -> tuple[int, ...]:
    """v1.12.4-eksbuild.1 -> (1, 12, 4, 1)."""
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def test_addon_table_has_a_row_for_every_minor_eks_accepts() -> None:
    assert set(ADDON_VERSIONS) == set(KUBERNETES_VERSIONS["aws"])


@pytest.mark.parametrize("addon", sorted(ADDON_VERSIONS["1.33"]))
def test_no_minor_upgrade_downgrades_an_eks_addon(addon: str) -> None:
    minors = sorted(ADDON_VERSIONS, key=_minor)
    versions = [_version(ADDON_VERSIONS[m][addon]) for m in minors]
    assert versions == sorted(versions), dict(zip(minors, (ADDON_VERSIONS[m][addon] for m in minors), strict=True))


def test_monotonic_check_catches_a_downgrade() -> None:
    assert _version("v1.12.3-eksbuild.1") < _version("v1.12.4-eksbuild.1")


def test_every_crd_chart_follows_a_catalogue_component() -> None:
    assert all(crd.component in COMPONENTS and name not in COMPONENTS for name, crd in CRD_CHARTS.items())


def test_prometheus_operator_crds_follow_kube_prometheus_stack() -> None:
    stack = COMPONENTS["kube-prometheus-stack"].version
    assert CATALOGUE["prometheus-operator-crds"].version == CRD_CHARTS["prometheus-operator-crds"].versions[stack]


def test_bumping_kube_prometheus_stack_without_its_crd_row_is_refused(tmp_path: Path) -> None:
    from components.config import ConfigError

    with pytest.raises(ConfigError, match="prometheus-operator-crds"):
        render_with("dev", tmp_path, {"charts": {"kube-prometheus-stack": {"version": "99.0.0"}}})


def test_a_crd_chart_cannot_be_pinned_apart_from_its_component(tmp_path: Path) -> None:
    from components.config import ConfigError

    with pytest.raises(ConfigError, match="follows kube-prometheus-stack"):
        render_with("dev", tmp_path, {"charts": {"prometheus-operator-crds": {"version": "32.0.0"}}})


def test_karpenter_crds_move_with_the_controller() -> None:
    config = config_of("dev", "aws")
    assert chart_for("karpenter-crd", config).version == chart_for("karpenter", config).version


# --- Kubernetes minor upgrade ---------------------------------------------------------------


@pytest.mark.parametrize("cloud", CLOUDS)
def test_minor_upgrade_updates_in_place_and_replaces_nothing(cloud: str, tmp_path: Path) -> None:
    current = config_of("prod", cloud).cluster.kubernetes_version
    minors = sorted(KUBERNETES_VERSIONS[cloud], key=_minor)
    following = minors[minors.index(current) + 1]
    p = plan(render("prod", cloud), render_with("prod", tmp_path, {"cluster": {"kubernetesVersion": following}}, cloud))
    assert p.replaced == {} and p.deleted == {} and p.created == {}
    assert unsafe_removals(p) == []
    assert p.updated  # the control plane and pools move to the new minor


# --- chart bump with a CRD change -----------------------------------------------------------


def test_chart_bump_with_a_crd_change_moves_its_crd_release_and_replaces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components.catalogue import CrdChart

    current = COMPONENTS["kube-prometheus-stack"].version
    rows = {**CRD_CHARTS["prometheus-operator-crds"].versions, "89.0.0": "32.0.0"}
    monkeypatch.setitem(
        CRD_CHARTS, "prometheus-operator-crds", CrdChart("kube-prometheus-stack", "prometheus-operator-crds", rows)
    )
    before = render("dev", "aws")
    after = render_with("dev", tmp_path, {"charts": {"kube-prometheus-stack": {"version": "89.0.0"}}}, "aws")
    p = plan(before, after)
    releases = {p.after[u]["inputs"]["chart"]: p.updated[u] for u in p.updated if u.split("::")[-2].endswith("Release")}
    assert set(releases) == {"kube-prometheus-stack", "prometheus-operator-crds"}
    assert all(props == ["version"] for props in releases.values())
    assert p.replaced == {} and p.deleted == {} and p.created == {}
    versions = {p.after[u]["inputs"]["chart"]: p.after[u]["inputs"]["version"] for u in p.updated}
    assert (
        versions
        == {"kube-prometheus-stack": "89.0.0", "prometheus-operator-crds": "32.0.0"}
        != {"kube-prometheus-stack": current}
    )


def test_crs_wait_for_the_release_that_upgrades_their_crds() -> None:
    result = render("dev", "aws")
    crds = {
        r["urn"]
        for r in result.resources
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["chart"] == "prometheus-operator-crds"
    }
    monitors = [r for r in result.resources if r["type"] == "kubernetes:monitoring.coreos.com/v1:PrometheusRule"]
    assert monitors and all(crds & set(m["dependencies"]) for m in monitors)


def test_karpenter_bump_moves_its_crds_in_the_same_change(tmp_path: Path) -> None:
    p = plan(
        render("dev", "aws"), render_with("dev", tmp_path, {"charts": {"karpenter": {"version": "1.15.0"}}}, "aws")
    )
    charts = sorted(p.after[u]["inputs"]["chart"].rsplit("/", 1)[-1] for u in p.updated)
    assert charts == ["karpenter", "karpenter-crd"] and p.replaced == {}


# --- CRDs a chart keeps in crds/ ------------------------------------------------------------

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"


def test_every_chart_crd_file_follows_a_catalogue_component() -> None:
    from components.catalogue import CHART_CRD_FILES

    assert all(crd.component in COMPONENTS and "{version}" in crd.url for crd in CHART_CRD_FILES.values())


def test_sloth_crd_url_names_the_pinned_chart_release() -> None:
    from components.catalogue import crd_file_url

    url = crd_file_url("sloth", config_of("dev", "aws"))
    ref = url.removeprefix("https://raw.githubusercontent.com/slok/sloth/").split("/", 1)[0]
    assert ref == f"sloth-helm-chart-{COMPONENTS['sloth'].version}"


def test_sloth_crd_is_applied_by_the_program_and_skipped_by_its_release() -> None:
    result = render("dev", "aws")
    (crd_file,) = [r for r in result.resources if r["type"] == CONFIG_FILE]
    (release,) = [
        r for r in result.resources if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["chart"] == "sloth"
    ]
    assert f"sloth-helm-chart-{COMPONENTS['sloth'].version}/" in crd_file["inputs"]["file"]
    assert release["inputs"]["skipCrds"] is True and crd_file["urn"] in release["dependencies"]


def test_slos_wait_for_the_sloth_crd_the_program_applies() -> None:
    result = render("dev", "aws")
    (crd_file,) = [r["urn"] for r in result.resources if r["type"] == CONFIG_FILE]
    slos = [r for r in result.resources if r["type"].endswith("PrometheusServiceLevel")]
    assert slos and all(crd_file in s["dependencies"] for s in slos)


def test_sloth_bump_moves_its_crd_in_the_same_change_and_replaces_nothing(tmp_path: Path) -> None:
    p = plan(render("dev", "aws"), render_with("dev", tmp_path, {"charts": {"sloth": {"version": "0.17.0"}}}, "aws"))
    changed = {p.after[u]["type"]: props for u, props in p.updated.items()}
    assert changed == {"kubernetes:helm.sh/v3:Release": ["version"], CONFIG_FILE: ["file"]}
    (crd_file,) = [u for u in p.updated if p.after[u]["type"] == CONFIG_FILE]
    assert "sloth-helm-chart-0.17.0/" in p.after[crd_file]["inputs"]["file"]
    assert p.replaced == {} and p.created == {} and p.deleted == {} and unsafe_removals(p) == []
