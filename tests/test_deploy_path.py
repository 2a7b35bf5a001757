"""The deploy path: every environment's `pulumi up` reaches its API server, the config refuses a
path no deployer could use, and cluster admins come from the config, never from the caller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cluster.gke.kubeconfig import kubeconfig as gke_kubeconfig
from components.config import ConfigError, load_config, missing_inputs, retarget
from store_platform_tools import cli
from store_platform_tools.cloud_mocks import aws as aws_mocks
from store_platform_tools.cloud_mocks import azure as azure_mocks
from store_platform_tools.render import run_program, summary
from store_platform_tools.stackfile import StackConfig, load_stack
from tests.rendering import ROOT, of_type, one, render, render_with, stack_with

PUBLIC = ["198.51.100.0/28"]
DEPLOYERS = {
    "aws": "arn:aws:iam::111122223333:role/store-deploy",
    "gcp": "serviceAccount:store-deploy@acme-store.iam.gserviceaccount.com",
    "azure": "servicePrincipal:5b0c8e1e-1111-4222-8333-944455556666",
}


def problems(raw: dict[str, Any], stack: str = "dev") -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_config(raw, stack)
    return [str(p) for p in e.value.problems]


# --- the path each cloud takes by default -----------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "stack", "path"),
    [
        ("gcp", "dev", "dns"),
        ("gcp", "prod", "dns"),
        ("aws", "dev", "public"),
        ("aws", "prod", "deployer-networks"),
        ("azure", "dev", "public"),
        ("azure", "prod", "deployer-networks"),
    ],
)
def test_deploy_path_defaults_per_cloud_and_endpoint(cloud, stack, path):
    assert load_config({"cloud": cloud}, stack).cluster.deploy_path == path


# --- paths no deployer could use are refused, naming the key ---------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_public_endpoint_open_only_to_private_ranges_is_refused(cloud):
    raw = {"cloud": cloud, "cluster": {"deployPath": "public", "authorizedNetworks": ["10.0.0.0/8", "192.168.0.0/16"]}}
    [problem] = problems(raw)
    assert problem.startswith("platform.cluster.authorizedNetworks: only private ranges")


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_public_endpoint_with_a_public_range_is_accepted(cloud):
    raw = {"cloud": cloud, "cluster": {"deployPath": "public", "authorizedNetworks": [*PUBLIC, "10.0.0.0/8"]}}
    assert load_config(raw, "dev").cluster.authorized_networks == [*PUBLIC, "10.0.0.0/8"]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_deployer_networks_must_be_public_ranges(cloud):
    [problem] = problems({"cloud": cloud, "cluster": {"deployerNetworks": ["10.1.0.0/16"]}}, "prod")
    assert problem.startswith("platform.cluster.deployerNetworks: '10.1.0.0/16' is not a deployer's public egress")


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_dns_endpoint_is_refused_off_gke(cloud):
    [problem] = problems({"cloud": cloud, "cluster": {"deployPath": "dns"}}, "prod")
    assert (
        problem
        == f"platform.cluster.deployPath: 'dns' is not a deploy path on {cloud}; use public or deployer-networks"
    )


def test_deployer_networks_is_refused_on_gke():
    [problem] = problems({"cloud": "gcp", "cluster": {"deployPath": "deployer-networks"}}, "prod")
    assert problem.startswith("platform.cluster.deployPath: 'deployer-networks' is not a deploy path on gcp")


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_public_path_into_a_private_api_server_is_refused(cloud):
    found = problems({"cloud": cloud, "cluster": {"deployPath": "public", "authorizedNetworks": PUBLIC}}, "prod")
    assert any(p.startswith("platform.cluster.deployPath: public needs a public API server") for p in found)


def test_sts_session_as_deployer_is_refused_with_the_role_to_use():
    session = "arn:aws:sts::111122223333:assumed-role/store-deploy/ci"
    [problem] = problems({"cloud": "aws", "cluster": {"deployer": session}})
    assert problem.startswith("platform.cluster.deployer:") and "use the role behind it" in problem


@pytest.mark.parametrize(
    ("cloud", "admin"), [("gcp", "admins@acme.example"), ("azure", "5b0c8e1e-1111-4222-8333-9444")]
)
def test_admin_without_its_kind_is_refused(cloud, admin):
    [problem] = problems({"cloud": cloud, "cluster": {"admins": [admin]}})
    assert problem.startswith("platform.cluster.admins[0]:")


def test_github_hosted_runner_cannot_serve_an_ip_allowlisted_path():
    [problem] = problems({"cloud": "aws", "cluster": {"ciRunner": "ubuntu-latest"}}, "prod")
    assert problem.startswith("platform.cluster.ciRunner: 'ubuntu-latest' is GitHub-hosted")


def test_github_hosted_runner_serves_the_dns_path():
    assert load_config({"cloud": "gcp", "cluster": {"ciRunner": "ubuntu-24.04"}}, "prod").cluster.ci_runner


def test_render_exits_2_on_an_unreachable_public_endpoint(tmp_path, monkeypatch, capsys):
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["store-platform:platform"]["cluster"]["authorizedNetworks"] = ["10.0.0.0/8"]
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    monkeypatch.chdir(ROOT)
    assert cli.main(["render", "dev", "--config-file", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "platform.cluster.authorizedNetworks: only private ranges" in capsys.readouterr().err


# --- inputs only the user can give ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "cloud", "keys"),
    [
        ("dev", "aws", ["cluster.deployer", "cluster.authorizedNetworks", "cluster.ciRunner"]),
        ("prod", "azure", ["cluster.deployer", "cluster.deployerNetworks", "cluster.ciRunner"]),
        ("prod", "gcp", ["cluster.deployer"]),
    ],
)
def test_shipped_stacks_name_the_inputs_they_still_need(stack, cloud, keys):
    assert [m.key for m in load_stack(ROOT, stack, cloud=cloud).missing_inputs] == keys


def test_filled_stack_needs_no_further_input(tmp_path):
    filled = {"cluster": {"deployer": DEPLOYERS["aws"], "deployerNetworks": PUBLIC, "ciRunner": "store-prod"}}
    assert stack_with("prod", tmp_path, filled, cloud="aws").missing_inputs == []


def test_render_summary_lists_the_inputs_needed_before_pulumi_up_and_before_ci():
    stack = load_stack(ROOT, "prod", cloud="aws")
    lines = summary(render("prod", "aws"), stack, Path("out/prod-aws")).splitlines()
    before_up = next(line for line in lines if line.startswith("inputs needed before `pulumi up`"))
    before_ci = next(line for line in lines if line.startswith("inputs needed before CI"))
    assert "store-platform:platform.cluster.deployer " in before_up
    assert "store-platform:platform.cluster.deployerNetworks " in before_up
    assert "store-platform:platform.cluster.ciRunner " in before_ci


def test_pulumi_up_without_the_deployer_is_refused_naming_the_key():
    rendered = load_stack(ROOT, "dev", cloud="gcp")
    without = StackConfig(
        rendered.project,
        rendered.stack,
        {**rendered.values, "store-platform:platform": json.dumps({"cloud": "gcp"})},
        rendered.secret_keys,
        rendered.placeholders,
        rendered.unset_optional,
    )
    with pytest.raises(ConfigError) as e:
        run_program(without)
    assert [p.path for p in e.value.problems] == ["store-platform:platform.cluster.deployer"]


def test_moving_cloud_drops_the_other_clouds_principals():
    raw = {"cloud": "aws", "cluster": {"deployer": DEPLOYERS["aws"], "admins": [DEPLOYERS["aws"]]}}
    moved = retarget(raw, "gcp")
    assert "deployer" not in moved["cluster"] and moved["cluster"]["admins"] == []
    assert [m.key for m in missing_inputs(load_config(moved, "dev"))] == ["cluster.deployer"]


# --- the path in the resources ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_gke_serves_the_deployer_on_the_iam_authorized_dns_endpoint(stack):
    cluster = one(render(stack, "gcp"), "gcp:container/cluster:Cluster")["inputs"]
    assert cluster["controlPlaneEndpointsConfig"] == {
        "dnsEndpointConfig": {"allowExternalTraffic": True},
        "ipEndpointsConfig": {"enabled": True},
    }


def test_gke_public_path_keeps_the_dns_endpoint_closed_to_users(tmp_path):
    raw = {"cluster": {"deployPath": "public", "authorizedNetworks": PUBLIC}}
    cluster = one(render_with("dev", tmp_path, raw, cloud="gcp"), "gcp:container/cluster:Cluster")["inputs"]
    assert cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {"allowExternalTraffic": False}


def test_gke_dns_kubeconfig_trusts_the_public_certificate_not_the_cluster_ca():
    document = yaml.safe_load(gke_kubeconfig("c1", "gke-abc.us-central1.gke.goog", None))
    assert document["clusters"][0]["cluster"] == {"server": "https://gke-abc.us-central1.gke.goog"}


def test_gke_admins_are_the_configured_principals_with_the_deployer_kept_on_destroy(tmp_path):
    raw = {"cluster": {"deployer": DEPLOYERS["gcp"], "admins": ["group:platform-admins@acme.example"]}}
    result = render_with("prod", tmp_path, raw, cloud="gcp")
    admins = [
        r for r in of_type(result, "gcp:projects/iAMMember:IAMMember") if r["inputs"]["role"] == "roles/container.admin"
    ]
    assert sorted((r["inputs"]["member"], r["retainOnDelete"]) for r in admins) == [
        ("group:platform-admins@acme.example", False),
        (DEPLOYERS["gcp"], True),
    ]


def test_gke_kubernetes_provider_waits_for_the_deployers_access():
    result = render("dev", "gcp")
    access = one(result, "gcp:projects/iAMMember:IAMMember", "-deployer-access")
    assert access["urn"] in one(result, "pulumi:providers:kubernetes")["dependencies"]


# --- a different caller changes nothing ------------------------------------------------------------

ACCESS_TYPES = (
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
    "azure-native:authorization:RoleAssignment",
)


def _access(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] in ACCESS_TYPES]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_a_preview_by_another_principal_changes_no_cluster_access(cloud, tmp_path, monkeypatch):
    stack = stack_with("dev", tmp_path, {"cluster": {"deployer": DEPLOYERS[cloud]}}, cloud=cloud)
    before = run_program(stack).resources
    monkeypatch.setattr(aws_mocks, "CALLER_ROLE", "pr-preview")
    monkeypatch.setattr(azure_mocks, "CALLER_OBJECT_ID", "9f9f9f9f-0000-4000-8000-00000000abcd")
    after = run_program(stack).resources
    assert _access(before) and _access(after) == _access(before)
    assert after == before


# --- what CI learns from the config ------------------------------------------------------------------


def test_ci_plan_names_the_configured_runner_and_the_kube_auth_plugin():
    from store_platform_tools.ci import plan

    raw = {
        "cloud": "azure",
        "cluster": {"deployer": DEPLOYERS["azure"], "deployerNetworks": PUBLIC, "ciRunner": "store-prod"},
    }
    assert plan(load_config(raw, "prod"), "prod").outputs().splitlines() == [
        "cloud=azure",
        "region=eastus",
        "runner=store-prod",
        "kube-auth=kubelogin",
    ]


def test_ci_plan_uses_a_github_hosted_runner_on_the_dns_path():
    from store_platform_tools.ci import plan

    config = load_config({"cloud": "gcp", "cluster": {"deployer": DEPLOYERS["gcp"]}}, "prod")
    assert plan(config, "prod").runner == "ubuntu-latest"


def test_ci_plan_exits_2_naming_every_input_a_shipped_stack_lacks(monkeypatch, capsys):
    from store_platform_tools import ci

    monkeypatch.chdir(ROOT)
    assert ci.main(["prod"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert [e.split(": ")[1] for e in errors] == [
        "store-platform:platform.cluster.ciRunner",
        "store-platform:platform.cluster.deployer",
        "store-platform:platform.cluster.deployerNetworks",
    ]
