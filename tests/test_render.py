"""The offline render: its contract (DESIGN.md), determinism, preview mode, every stack on every cloud."""

from __future__ import annotations

import json
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

from store_platform_tools import render as render_module
from store_platform_tools.cli import main
from tests.rendering import ROOT, STACKS_ON_CLOUDS, render

RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "dependencies",
    "provider",
    "protect",
    "retainOnDelete",
    "ignoreChanges",
    "inputs",
}


def cli(*args: str, cwd=ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "store_platform_tools.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(("stack", "cloud"), STACKS_ON_CLOUDS)
def test_every_stack_renders_on_every_cloud(stack, cloud):
    result = render(stack, cloud)
    assert result.outputs["cloud"] == cloud
    assert any(r["type"] == "kubernetes:core/v1:Namespace" for r in result.resources)


@pytest.mark.parametrize(("stack", "cloud"), STACKS_ON_CLOUDS)
def test_every_core_object_is_valid_kubernetes(stack, cloud):
    for name, obj in render(stack, cloud).manifests.items():
        group = obj["apiVersion"].rpartition("/")[0]
        if "." in group and not group.endswith("k8s.io"):
            continue  # a custom resource: checked against its CRD by ../shared/tools/check-render in .ci/run
        try:
            kubernetes_validate.validate(obj, "1.33.0", strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{name}: {e}")


@pytest.mark.parametrize(("stack", "cloud"), STACKS_ON_CLOUDS)
def test_preview_declares_the_same_resources(stack, cloud):
    assert [r["urn"] for r in render(stack, cloud, preview=True).resources] == [
        r["urn"] for r in render(stack, cloud).resources
    ]


def test_resources_carry_the_contract_fields(tmp_path):
    assert main(["render", "local", "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "resources.json").read_text())
    assert set(document) == {"project", "stack", "resources", "outputs"}
    assert document["project"] == "store-platform" and document["stack"] == "local"
    assert all(set(r) == RESOURCE_KEYS for r in document["resources"])


def test_kubernetes_objects_are_written_one_file_each(tmp_path):
    main(["render", "local", "--out", str(tmp_path)])
    namespaces = [yaml.safe_load(p.read_text()) for p in (tmp_path / "manifests").glob("namespace_*.yaml")]
    assert {"store"} <= {n["metadata"]["name"] for n in namespaces}


def test_render_is_byte_identical_on_repeat(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert cli("render", "dev", "--out", str(out)).returncode == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_secrets_are_written_as_secret(tmp_path):
    assert main(["render", "prod", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "resources.json").read_text()
    assert "placeholder-" not in text
    assert json.loads(text)["outputs"]["kubeconfig"] == "[secret]"


def test_missing_required_secrets_are_listed_as_needed(tmp_path, capsys):
    main(["render", "prod", "--out", str(tmp_path)])
    needed = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("needed before"))
    assert "store-platform:slackWebhookUrl" in needed and "store-platform:pagerdutyRoutingKey" in needed


def test_invalid_config_exits_2_listing_every_bad_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"config": {"store-platform:platform": {"region": "mars-1", "mesh": {"provider": "consul"}}}})
    )
    result = cli("render", "dev", "--config-file", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("platform.")]
    assert [line.split(":")[0] for line in lines] == ["platform.mesh.provider", "platform.region"]
    assert not (tmp_path / "out").exists()


def test_missing_stack_file_exits_1(tmp_path):
    result = cli("render", "nosuchstack", "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "no stack file" in result.stderr


def test_unexpected_failure_exits_1(monkeypatch, tmp_path):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(render_module, "run_program", explode)
    assert main(["render", "local", "--out", str(tmp_path)]) == 1


def test_cloud_flag_moves_a_stack_to_another_cloud():
    result = render("dev", "gcp")
    assert result.outputs["cloud"] == "gcp" and result.outputs["region"] == "us-central1"


def test_stack_file_moved_by_changing_cloud_and_region_only_renders(tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["store-platform:platform"].update(cloud="azure", region="westeurope")
    moved = tmp_path / "Pulumi.prod.yaml"
    moved.write_text(yaml.safe_dump(document))
    assert main(["render", "prod", "--config-file", str(moved), "--out", str(tmp_path / "out")]) == 0
    outputs = json.loads((tmp_path / "out" / "resources.json").read_text())["outputs"]
    assert outputs["cloud"] == "azure" and outputs["region"] == "westeurope"
