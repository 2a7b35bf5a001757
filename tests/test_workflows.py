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
    notice = steps(MAIN["jobs"]["preview"])[0]
    assert "head.repo.full_name != github.repository" in notice["if"] and "::notice::" in notice["run"]


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
    assert writers == {"preview", "security-scan", "deploy-dev", "deploy-staging", "deploy-prod"}


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


def test_deploys_go_dev_then_staging_then_prod():
    jobs = MAIN["jobs"]
    assert [jobs[j]["with"]["stack"] for j in ("deploy-dev", "deploy-staging", "deploy-prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    assert jobs["deploy-staging"]["needs"] == "deploy-dev" and jobs["deploy-prod"]["needs"] == "deploy-staging"
    assert set(jobs["deploy-dev"]["needs"]) == {"lint-and-test", "security-scan", "package-charts"}


def test_each_stack_deploys_one_at_a_time_in_its_environment():
    up = DEPLOY["jobs"]["pulumi-up"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}


def test_argocd_sync_runs_only_with_server_and_token():
    sync = DEPLOY["jobs"]["argocd-sync"]
    gate = steps(sync)[0]["run"]
    assert '-n "$ARGOCD_SERVER"' in gate and '-n "$ARGOCD_AUTH_TOKEN"' in gate
    assert all(s.get("if") == "steps.enabled.outputs.enabled == 'true'" for s in steps(sync)[1:])
    assert re.match(r"v\d+\.\d+\.\d+$", sync["env"]["ARGOCD_VERSION"])


def test_registry_and_image_prefix_follow_the_playbook():
    assert MAIN["env"]["REGISTRY"] == "ghcr.io" and MAIN["env"]["IMAGE_PREFIX"] == "store-management"
