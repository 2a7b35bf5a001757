"""The GitOps area wired into the platform, under mocks: what is declared, what waits for what,
where the secrets go, and the plain-YAML bootstrap files the render writes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

from components.catalogue import CATALOGUE
from components.config import ConfigError
from store_platform_tools.render import RenderResult, render_files, run_program, write
from store_platform_tools.stackfile import load_stack
from tests.rendering import ROOT, one, release, render, stack_with

# Clouds every worktree has; the managed clouds are rendered by the shared render tests.
STACKS = [("dev", "existing"), ("staging", "existing"), ("prod", "existing"), ("local", None)]
APPSET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application"
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
SECRET = "kubernetes:core/v1:Secret"
SSO = {"issuer": "https://login.acme.example", "clientId": "argocd-dev", "groupRoles": {"admins": "admin"}}


def by_urn(result: RenderResult) -> dict[str, dict]:
    return {r["urn"]: r for r in result.resources}


def release_resource(result: RenderResult, chart: str) -> dict:
    [found] = [
        r for r in result.resources if r["type"].startswith("kubernetes:helm.sh/") and r["inputs"]["chart"] == chart
    ]
    return found


def depends_on(resource: dict, target: dict) -> bool:
    return target["urn"] in resource["dependencies"]


@pytest.mark.parametrize(("stack", "cloud"), STACKS)
def test_every_environment_installs_argocd_and_rollouts_at_the_catalogue_versions(stack, cloud):
    result = render(stack, cloud)
    for addon in ("argo-cd", "argo-rollouts"):
        assert release(result, CATALOGUE[addon].chart)["version"] == CATALOGUE[addon].version


@pytest.mark.parametrize("chart", ["argo-cd", "argo-rollouts"])
def test_argo_releases_wait_for_nothing_but_gitops_the_cluster_and_the_monitoring_crds(chart):
    """No other add-on (Istio's gateway, Loki...) holds Argo CD or Rollouts back; the only
    outside dependency is the CRDs their ServiceMonitors need."""
    result = render("prod", "existing")
    resources = by_urn(result)
    dependencies = [resources[urn]["name"] for urn in release_resource(result, chart)["dependencies"]]
    assert dependencies
    allowed = ("store-gitops-", "store-cluster", "store-observability-monitoring-crds")
    assert all(name.startswith(allowed) for name in dependencies), dependencies


def test_rollouts_does_not_wait_for_argocd():
    result = render("dev", "existing")
    rollouts = one(result, "kubernetes:helm.sh/v3:Release", "-rollouts")
    argocd = one(result, "kubernetes:helm.sh/v3:Release", "-argocd")
    assert not depends_on(rollouts, argocd)


def test_argo_custom_resources_wait_for_the_argocd_release_that_installs_their_crds():
    result = render("dev", "existing")
    argocd = one(result, "kubernetes:helm.sh/v3:Release", "-argocd")
    argo_objects = [r for r in result.resources if r["type"].startswith("kubernetes:argoproj.io/")]
    assert len(argo_objects) == 5  # store + bootstrap projects, default patch, ApplicationSet, root
    assert all(depends_on(r, argocd) for r in argo_objects)


def test_application_set_waits_for_its_project_and_cluster_secret():
    result = render("dev", "existing")
    appset = one(result, APPSET)
    assert depends_on(appset, one(result, PROJECT, "-store-project"))
    assert depends_on(appset, one(result, SECRET, "-cluster-secret"))


def test_cluster_secret_labels_select_this_environment_for_the_application_set():
    result = render("staging", "existing")
    labels = one(result, SECRET, "-cluster-secret")["inputs"]["metadata"]["labels"]
    selector = one(result, APPSET)["inputs"]["spec"]["generators"][0]["matrix"]["generators"][0]["clusters"]
    assert labels["argocd.argoproj.io/secret-type"] == "cluster"
    assert selector["selector"]["matchLabels"].items() <= labels.items()


def test_default_project_is_patched_not_created():
    patch = one(render("dev", "existing"), "kubernetes:argoproj.io/v1alpha1:AppProjectPatch")
    assert patch["inputs"]["metadata"]["name"] == "default"
    assert patch["inputs"]["spec"]["sourceRepos"] == []


@pytest.mark.parametrize(("stack", "cloud"), [("staging", "existing"), ("prod", "existing")])
def test_oidc_client_secret_is_a_kubernetes_secret_argocd_can_read(stack, cloud):
    secret = one(render(stack, cloud), SECRET, "-oidc-secret")["inputs"]
    assert secret["metadata"]["name"] == "argocd-oidc"
    assert secret["metadata"]["namespace"] == "argocd"
    assert secret["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert secret["stringData"] == {"clientSecret": "[secret]"}


def test_no_oidc_secret_where_sso_is_off():
    assert not [r for r in render("dev", "existing").resources if r["name"].endswith("-oidc-secret")]


def test_prod_notifications_use_the_slack_webhook_secret():
    result = render("prod", "existing")
    secret = one(result, SECRET, "-notifications-secret")
    argocd = one(result, "kubernetes:helm.sh/v3:Release", "-argocd")
    assert secret["inputs"]["metadata"]["name"] == "argocd-notifications-secret"
    assert argocd["inputs"]["values"]["notifications"]["enabled"] is True
    assert depends_on(argocd, secret)


@pytest.mark.parametrize(("stack", "cloud"), STACKS)
def test_no_secret_value_reaches_helm_values(stack, cloud):
    for chart in ("argo-cd", "argo-rollouts"):
        text = json.dumps(release(render(stack, cloud), chart)["values"])
        assert "placeholder-" not in text
        assert "[secret]" not in text


@pytest.mark.parametrize("chart", ["argo-cd", "argo-rollouts"])
def test_with_the_platforms_monitoring_crds_service_monitors_are_enabled(chart):
    values = release(render("dev", "existing"), chart)["values"]
    monitors = [v["metrics"]["serviceMonitor"] for v in values.values() if isinstance(v, dict) and "metrics" in v]
    assert monitors
    assert all(m["enabled"] is True for m in monitors)


def test_render_of_dev_with_sso_gives_the_client_secret_a_placeholder(tmp_path):
    stack = stack_with("dev", tmp_path, {"gitops": {"sso": SSO}}, cloud="existing")
    assert "argocdOidcClientSecret" in stack.placeholders
    assert one(run_program(stack), SECRET, "-oidc-secret")["inputs"]["stringData"] == {"clientSecret": "[secret]"}


def test_program_with_sso_but_no_client_secret_stops_before_any_resource(tmp_path):
    stack = stack_with("dev", tmp_path, {"gitops": {"sso": SSO}}, cloud="existing")
    key = "store-platform:argocdOidcClientSecret"
    without = replace(
        stack, values={k: v for k, v in stack.values.items() if k != key}, secret_keys=[], placeholders=[]
    )
    with pytest.raises(ConfigError, match="argocdOidcClientSecret: required in dev"):
        run_program(without)


def test_render_writes_the_application_set_and_root_application_as_plain_yaml(tmp_path):
    stack = load_stack(ROOT, "dev", cloud="existing")
    result = render("dev", "existing")
    write(result, stack, tmp_path)
    appset = yaml.safe_load((tmp_path / "argo" / "applicationset.yaml").read_text())
    root = yaml.safe_load((tmp_path / "argo" / "application.yaml").read_text())
    assert appset == one(result, APPSET)["inputs"]
    assert root == one(result, APPLICATION)["inputs"]


def test_render_files_are_only_the_annotated_objects():
    assert sorted(render_files(render("prod", "existing"))) == ["argo/application.yaml", "argo/applicationset.yaml"]


def test_render_file_paths_must_stay_inside_the_output():
    escaping = {"metadata": {"annotations": {"store-platform/render-file": "../outside.yaml"}}}
    with pytest.raises(ValueError, match="relative path inside the output"):
        render_files(RenderResult(resources=[], outputs={}, manifests={"x.yaml": escaping}))


def test_both_charts_wait_for_the_monitoring_crds_their_service_monitors_need():
    result = render("dev", "existing")
    crds = one(result, "kubernetes:helm.sh/v3:Release", "monitoring-crds")
    for role in ("-argocd", "-rollouts"):
        assert depends_on(one(result, "kubernetes:helm.sh/v3:Release", role), crds)


def test_secret_objects_keep_their_keys_and_hide_every_value():
    secret = one(render("prod", "existing"), SECRET, "-cluster-secret")["inputs"]
    assert secret["stringData"] == {"config": "[secret]", "name": "[secret]", "server": "[secret]"}
