"""The delivery pipeline's shape: what runs when, with which permissions, pinned how."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.rendering import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
MAIN = yaml.safe_load((WORKFLOWS / "main.yml").read_text())
DEPLOY = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
SETUP = yaml.safe_load((ROOT / ".github" / "actions" / "stack-setup" / "action.yml").read_text())
ON = MAIN.get("on", MAIN.get(True))  # YAML 1.1 reads the key `on` as true


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def uses(*documents: dict) -> list[str]:
    found = []
    for document in documents:
        for job in (document.get("jobs") or {}).values():
            found += [s["uses"] for s in steps(job) if "uses" in s]
        found += [s["uses"] for s in (document.get("runs") or {}).get("steps", []) if "uses" in s]
    return found


def test_lint_and_test_runs_on_every_push_and_pull_request():
    assert ON["push"]["branches"] == ["**"] and "pull_request" in ON
    assert "if" not in MAIN["jobs"]["lint-and-test"]


def test_lint_and_test_runs_the_readme_test_command_and_renders_every_stack():
    runs = " ".join(s.get("run", "") for s in steps(MAIN["jobs"]["lint-and-test"]))
    assert "make test" in runs and "make render-all" in runs and "store-platform graph" in runs


def test_preview_covers_every_shipped_stack():
    shipped = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml") if p.name != "Pulumi.local.yaml")
    assert sorted(MAIN["jobs"]["preview"]["strategy"]["matrix"]["stack"]) == shipped


def test_preview_comments_on_the_pull_request_with_the_policy_pack():
    preview = next(s for s in steps(MAIN["jobs"]["preview"]) if s.get("uses", "").startswith("pulumi/actions@"))
    assert preview["with"]["command"] == "preview"
    assert preview["with"]["comment-on-pr"] is True and preview["with"]["policyPacks"] == "policy"
    assert "vars.PULUMI_BACKEND_URL" in preview["with"]["cloud-url"]


def test_preview_is_skipped_visibly_for_forks():
    fork = MAIN["jobs"]["fork-preview"]
    assert "head.repo.full_name != github.repository" in fork["if"] and "::notice::" in steps(fork)[0]["run"]
    assert "permissions" not in fork  # read-only, no OIDC token


def test_cloud_previews_run_only_for_branches_of_this_repository():
    # The preview matrix hangs on `plan`, which runs only for pull requests from this repository.
    assert "head.repo.full_name == github.repository" in MAIN["jobs"]["plan"]["if"]
    assert "plan" in MAIN["jobs"]["preview"]["needs"]


def test_cloud_credentials_come_from_oidc():
    assert MAIN["jobs"]["preview"]["permissions"]["id-token"] == "write"
    actions = uses(SETUP)
    assert any(a.startswith("aws-actions/configure-aws-credentials@") for a in actions)
    assert any(a.startswith("google-github-actions/auth@") for a in actions)
    assert any(a.startswith("azure/login@") for a in actions)


def test_default_permissions_are_read_only():
    assert MAIN["permissions"] == {"contents": "read"} and DEPLOY["permissions"] == {"contents": "read"}


def test_only_jobs_that_need_it_may_write():
    writers = {
        name for name, job in MAIN["jobs"].items() if any(v == "write" for v in (job.get("permissions") or {}).values())
    }
    assert writers == {"preview", "security-scan", "publish-charts", "deploy-dev", "deploy-staging", "deploy-prod"}


@pytest.mark.parametrize("action", uses(MAIN, DEPLOY, SETUP))
def test_every_action_is_pinned_to_a_version(action):
    if action.startswith("./"):
        return
    assert re.search(r"@v?\d+\.\d+\.\d+$", action), f"{action} is not pinned to an exact version"


def test_trivy_scans_repository_and_renders_for_critical_and_high():
    scans = [s for s in steps(MAIN["jobs"]["security-scan"]) if s.get("uses", "").startswith("aquasecurity/")]
    assert {s["with"]["scan-ref"] for s in scans} == {".", "out"}
    assert all(s["with"]["severity"] == "CRITICAL,HIGH" and s["with"]["trivyignores"] == ".trivyignore" for s in scans)
    uploads = [s for s in steps(MAIN["jobs"]["security-scan"]) if "upload-sarif" in s.get("uses", "")]
    assert len(uploads) == 2


def test_checkov_scans_run_in_the_security_job():
    runs = " ".join(s.get("run", "") for s in steps(MAIN["jobs"]["security-scan"]))
    assert "make checkov\n" in runs and "make checkov-chart" in runs


def test_charts_are_packaged_on_main_only():
    job = MAIN["jobs"]["package-charts"]
    assert "refs/heads/main" in job["if"] and "helm package" in " ".join(s.get("run", "") for s in steps(job))


def test_each_build_packages_the_chart_under_a_version_of_its_own():
    job = MAIN["jobs"]["package-charts"]
    run = next(s["run"] for s in steps(job) if s.get("id") == "package")
    assert '--version "$version"' in run and "GITHUB_RUN_NUMBER" in run
    assert job["outputs"]["chart-version"] == "${{ steps.package.outputs.chart-version }}"


def test_the_versioned_package_is_consumed_by_the_publish_step():
    job = MAIN["jobs"]["publish-charts"]
    assert job["needs"] == "package-charts"
    assert job["env"]["CHART_VERSION"] == "${{ needs.package-charts.outputs.chart-version }}"
    download = next(s for s in steps(job) if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["name"] == "helm-charts"
    push = " ".join(s.get("run", "") for s in steps(job))
    assert 'package="dist/service-${CHART_VERSION}.tgz"' in push and 'helm push "$package"' in push
    assert job["permissions"]["packages"] == "write"


def test_deploys_are_told_the_chart_version_they_ship():
    for name in ("deploy-dev", "deploy-staging", "deploy-prod"):
        assert MAIN["jobs"][name]["with"]["chart-version"] == "${{ needs.package-charts.outputs.chart-version }}"
    assert DEPLOY[True]["workflow_call"]["inputs"]["chart-version"]["required"] is True


def test_deploys_go_dev_then_staging_then_prod():
    jobs = MAIN["jobs"]
    assert [jobs[j]["with"]["stack"] for j in ("deploy-dev", "deploy-staging", "deploy-prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    assert "deploy-dev" in jobs["deploy-staging"]["needs"] and "deploy-staging" in jobs["deploy-prod"]["needs"]
    assert set(jobs["deploy-dev"]["needs"]) == {"lint-and-test", "security-scan", "package-charts", "publish-charts"}


def test_each_stack_deploys_one_at_a_time_in_its_environment():
    up = DEPLOY["jobs"]["deploy"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}


def test_prod_approval_is_asked_once():
    # An environment with required reviewers asks once per job that names it.
    assert [name for name, job in DEPLOY["jobs"].items() if "environment" in job] == ["deploy"]
    assert [j for j in MAIN["jobs"].values() if "environment" in j] == []


def test_argocd_sync_reaches_argo_cd_through_the_kubernetes_api():
    run = " ".join(s.get("run", "") for s in steps(DEPLOY["jobs"]["deploy"]))
    assert "argocd app sync --core" in run and "argocd app wait --core" in run
    assert "pulumi stack output kubeconfig --show-secrets" in run
    assert "ARGOCD_SERVER" not in yaml.safe_dump(DEPLOY) and "--grpc-web" not in run
    assert re.match(r"v\d+\.\d+\.\d+$", DEPLOY["jobs"]["deploy"]["env"]["ARGOCD_VERSION"])


def test_argocd_sync_runs_after_pulumi_up_in_the_same_job():
    names = [s.get("uses", s.get("name", "")) for s in steps(DEPLOY["jobs"]["deploy"])]
    up = next(i for i, n in enumerate(names) if n.startswith("pulumi/actions@"))
    sync = next(i for i, n in enumerate(names) if n.startswith("Sync the environment"))
    assert up < sync


# --- what a job needs to run Pulumi --------------------------------------------------------------


def pulumi_jobs() -> list[dict]:
    return [
        job
        for document in (MAIN, DEPLOY)
        for job in document["jobs"].values()
        if any(s.get("uses", "").startswith("pulumi/actions@") for s in steps(job))
    ]


def test_every_job_that_runs_pulumi_sets_up_its_stack_first():
    assert len(pulumi_jobs()) == 2
    for job in pulumi_jobs():
        names = [s.get("uses", "") for s in steps(job)]
        assert names.index("./.github/actions/stack-setup") < next(
            i for i, n in enumerate(names) if n.startswith("pulumi/actions@")
        )


def test_stack_setup_puts_the_makefiles_uv_on_path():
    setup_uv = next(s for s in SETUP["runs"]["steps"] if s.get("uses", "").startswith("astral-sh/setup-uv@"))
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), flags=re.M)
    assert makefile_uv and setup_uv["with"]["version"] == makefile_uv.group(1)


def test_stack_setup_installs_the_plugin_each_clouds_kubeconfig_calls():
    from store_platform_tools.ci import KUBE_AUTH

    by_step = {s.get("uses", s.get("name", "")): s for s in SETUP["runs"]["steps"]}
    gcloud = next(s for n, s in by_step.items() if n.startswith("google-github-actions/setup-gcloud@"))
    assert gcloud["with"]["install_components"] == KUBE_AUTH["gcp"] == "gke-gcloud-auth-plugin"
    assert gcloud["if"] == "steps.plan.outputs.kube-auth == 'gke-gcloud-auth-plugin'"
    kubelogin = next(s for n, s in by_step.items() if "kubelogin" in n)
    assert "--kubelogin-install-location" in kubelogin["run"] and "GITHUB_PATH" in kubelogin["run"]
    assert kubelogin["if"] == f"steps.plan.outputs.kube-auth == '{KUBE_AUTH['azure']}'"


def test_kube_auth_plugins_are_the_commands_the_kubeconfigs_call():
    from components.cluster.aks.kubeconfig import kubeconfig as aks
    from components.cluster.gke.kubeconfig import kubeconfig as gke
    from store_platform_tools.ci import KUBE_AUTH

    def command(document: str) -> str:
        return yaml.safe_load(document)["users"][0]["user"]["exec"]["command"]

    assert command(gke("c", "e", None)) == KUBE_AUTH["gcp"]
    assert command(aks("c", "https://e", "Q0E=")) == KUBE_AUTH["azure"]


def test_deploy_runs_on_the_runner_the_stack_config_names():
    plan = DEPLOY["jobs"]["plan"]
    assert "store_platform_tools.ci" in steps(plan)[-1]["run"] and plan["runs-on"] == "ubuntu-latest"
    assert DEPLOY["jobs"]["deploy"]["runs-on"] == "${{ needs.plan.outputs.runner }}"


def test_previews_run_on_the_runner_each_stack_config_names():
    plan = MAIN["jobs"]["plan"]
    run = steps(plan)[-1]["run"]
    assert "store_platform_tools.ci dev staging prod" in run
    assert MAIN["jobs"]["preview"]["runs-on"] == "${{ fromJSON(needs.plan.outputs.runners)[matrix.stack] }}"


def test_sarif_upload_may_read_the_run_and_write_security_events():
    assert MAIN["jobs"]["security-scan"]["permissions"] == {
        "contents": "read",
        "actions": "read",
        "security-events": "write",
    }


def test_registry_and_image_prefix_follow_the_playbook():
    assert MAIN["env"]["REGISTRY"] == "ghcr.io" and MAIN["env"]["IMAGE_PREFIX"] == "store-management"
