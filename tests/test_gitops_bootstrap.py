"""The ApplicationSet, root Application and projects: pure specs, per environment.

The ApplicationSet's Go templates are evaluated here with the parameters Argo CD's cluster and
list generators would give them, so the Applications it yields are what is asserted."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from components.addresses import SERVICES_NAMESPACE
from components.config import SERVICES, load_config
from components.gitops.bootstrap import (
    application_set_spec,
    called_by,
    cluster_labels,
    root_application_spec,
    services_sync_policy,
)
from components.gitops.projects import bootstrap_project, locked_default_project, services_project

ENVIRONMENTS = ["dev", "staging", "prod", "local"]
_ACTION = re.compile(r"\{\{\s*(toJson\s+)?\.([\w.]+)\s*\}\}")


def config(stack: str, **platform):
    return load_config({"cloud": "existing" if stack == "local" else "aws", **platform}, stack)


def go_template(text: str, params: dict[str, Any]) -> str:
    """The subset of Go templates the ApplicationSet uses: `{{ .a.b }}` and `{{ toJson .a.b }}`.
    Anything else is left in place and fails the assertion below (missingkey=error as in Argo CD)."""

    def lookup(path: str) -> Any:
        value: Any = params
        for part in path.split("."):
            value = value[part]
        return value

    def action(match: re.Match[str]) -> str:
        value = lookup(match.group(2))
        return json.dumps(value) if match.group(1) else str(value)

    rendered = _ACTION.sub(action, text)
    assert "{{" not in rendered, f"unsupported template action left in {rendered!r}"
    return rendered


def applications(stack: str, **platform) -> list[dict[str, Any]]:
    """What the ApplicationSet generates on this environment's cluster (cluster x list generators)."""
    cfg = config(stack, **platform)
    spec = application_set_spec(cfg)
    [matrix] = spec["generators"]
    clusters, services = matrix["matrix"]["generators"]
    labels = cluster_labels(cfg)
    assert clusters["clusters"]["selector"]["matchLabels"].items() <= labels.items()
    cluster = {"name": "in-cluster", "server": "https://kubernetes.default.svc", "metadata": {"labels": labels}}
    generated = []
    for element in services["list"]["elements"]:
        params = {**cluster, **element}
        app = yaml.safe_load(go_template(yaml.safe_dump(spec["template"]), params))
        patch = yaml.safe_load(go_template(spec["templatePatch"], params))
        app["spec"]["source"]["helm"].update(patch["spec"]["source"]["helm"])
        generated.append(app)
    return generated


def by_name(stack: str, **platform) -> dict[str, dict[str, Any]]:
    return {app["metadata"]["name"]: app for app in applications(stack, **platform)}


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_application_set_yields_exactly_the_six_services(stack):
    assert sorted(app["metadata"]["name"] for app in applications(stack)) == sorted(SERVICES)


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_value_files_layer_service_then_environment_then_both(stack):
    helm = by_name(stack)["sales"]["spec"]["source"]["helm"]
    assert helm["valueFiles"] == ["values/sales.yaml", f"values/{stack}.yaml", f"values/{stack}/sales.yaml"]
    assert helm["ignoreMissingValueFiles"] is True


def test_applications_deploy_the_service_chart_from_the_gitops_repository():
    source = by_name("dev", gitops={"targetRevision": "v1.2.3"})["auth"]["spec"]["source"]
    assert source["repoURL"] == "https://github.com/acme/store-management"
    assert source["path"] == "charts/service"
    assert source["targetRevision"] == "v1.2.3"


def test_applications_deploy_into_the_services_namespace_of_the_store_project():
    spec = by_name("dev")["inventory"]["spec"]
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": SERVICES_NAMESPACE}
    assert spec["project"] == "store"


def test_chart_values_carry_the_stack_facts_the_service_chart_expects():
    values = by_name("staging", mesh={"provider": "linkerd"})["sales"]["spec"]["source"]["helm"]["valuesObject"]
    assert values == {
        "service": "sales",
        "environment": "staging",
        "cloud": "aws",
        "mesh": "linkerd",
        "slo": {"availability": 99.9, "latencyP95Ms": 300},
        "calls": ["auth", "inventory", "notification"],
        "calledBy": ["gateway"],
        "ingress": {"host": "store.staging.acme.example", "tlsCredentialName": "store-staging-acme-example-tls"},
    }


def test_slo_values_come_from_the_service_config():
    services = {"auth": {"slo": {"availability": 99.95, "latencyP95Ms": 120}}}
    values = by_name("dev", services=services)["auth"]["spec"]["source"]["helm"]["valuesObject"]
    assert values["slo"] == {"availability": 99.95, "latencyP95Ms": 120}


def test_called_by_is_the_reverse_of_calls():
    callers = called_by(config("dev"))
    assert callers["notification"] == ["attendance", "gateway", "inventory", "sales"]
    assert callers["gateway"] == []


def test_cluster_labels_carry_environment_cloud_and_mesh():
    assert cluster_labels(config("prod", mesh={"provider": "linkerd"})) == {
        "environment": "prod",
        "cloud": "aws",
        "mesh": "linkerd",
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "local"])
def test_non_prod_syncs_automatically_with_prune_and_self_heal(stack):
    assert services_sync_policy(stack)["automated"] == {"prune": True, "selfHeal": True}


def test_prod_syncs_automatically_but_never_prunes():
    assert services_sync_policy("prod")["automated"] == {"prune": False, "selfHeal": True}


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_sync_uses_server_side_apply_and_respects_ignored_differences(stack):
    options = services_sync_policy(stack)["syncOptions"]
    assert "ServerSideApply=true" in options
    assert "RespectIgnoreDifferences=true" in options


def test_failed_syncs_retry_with_backoff():
    retry = services_sync_policy("dev")["retry"]
    assert retry["limit"] > 1
    assert retry["backoff"]["factor"] > 1


def test_virtual_service_weights_moved_by_rollouts_are_ignored():
    [ignored] = by_name("dev")["gateway"]["spec"]["ignoreDifferences"]
    assert (ignored["group"], ignored["kind"]) == ("networking.istio.io", "VirtualService")
    assert ignored["jqPathExpressions"] == [".spec.http[].route[].weight"]


def test_prod_application_set_never_deletes_applications():
    policy = application_set_spec(config("prod"))["syncPolicy"]
    assert policy == {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True}


def test_non_prod_applications_delete_their_resources_with_them():
    assert by_name("staging")["auth"]["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]


def test_prod_applications_leave_their_resources_when_deleted():
    assert "finalizers" not in by_name("prod")["auth"]["metadata"]


def test_dev_application_set_removes_applications_of_removed_services():
    assert "syncPolicy" not in application_set_spec(config("dev"))


def test_root_application_tracks_infra_argo_apps_at_the_environment_revision():
    source = root_application_spec(config("prod", gitops={"targetRevision": "release"}))["source"]
    assert (source["path"], source["targetRevision"]) == ("infra/argo/apps", "release")


def test_root_application_never_syncs_the_objects_pulumi_applies():
    source = root_application_spec(config("dev"))["source"]
    excluded = source["directory"]["exclude"].strip("{}").split(",")
    assert sorted(excluded) == ["application.yaml", "applicationset.yaml"]


def test_root_application_never_prunes():
    assert root_application_spec(config("dev"))["syncPolicy"]["automated"]["prune"] is False


def test_store_project_allows_only_the_gitops_repository():
    assert services_project(config("dev"))["sourceRepos"] == ["https://github.com/acme/store-management"]


def test_store_project_deploys_only_to_the_services_namespace():
    destinations = services_project(config("dev"))["destinations"]
    assert destinations == [{"server": "https://kubernetes.default.svc", "namespace": SERVICES_NAMESPACE}]


def test_store_project_allows_no_cluster_scoped_kinds():
    assert services_project(config("dev"))["clusterResourceWhitelist"] == []


def test_store_project_denies_rbac_and_quotas_in_the_namespace():
    denied = {(k["group"], k["kind"]) for k in services_project(config("dev"))["namespaceResourceBlacklist"]}
    assert {("rbac.authorization.k8s.io", "RoleBinding"), ("", "ResourceQuota")} <= denied


def test_bootstrap_project_may_only_create_argo_applications_and_application_sets():
    kinds = {(k["group"], k["kind"]) for k in bootstrap_project(config("dev"))["namespaceResourceWhitelist"]}
    assert kinds == {("argoproj.io", "Application"), ("argoproj.io", "ApplicationSet")}
    assert bootstrap_project(config("dev"))["clusterResourceWhitelist"] == []


def test_default_project_allows_nothing():
    locked = locked_default_project()
    assert locked["sourceRepos"] == []
    assert locked["destinations"] == []
    assert locked["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]


def test_pipeline_role_may_only_get_and_sync_the_services():
    (role,) = services_project(config("prod"))["roles"]
    assert role["name"] == "ci"
    assert sorted(p.split(", ")[2:5] for p in role["policies"]) == [
        ["applications", "get", "store/*"],
        ["applications", "sync", "store/*"],
    ]
