"""Gatekeeper: vendored templates, our constraints and their parameters, enforcement per
environment, exclusions, registries, violation alerts."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from components.addresses import SERVICES_NAMESPACE
from components.cluster import Placement
from components.security import gatekeeper
from components.security.registries import PLATFORM_REGISTRIES, allowed_registries
from tests.rendering import of_type, release, render, render_with
from tests.security_fakes import config_for

CONSTRAINT_PREFIX = "kubernetes:constraints.gatekeeper.sh/v1beta1:"


def _constraints(stack: str) -> list[dict]:
    return [r for r in render(stack, "existing").resources if r["type"].startswith(CONSTRAINT_PREFIX)]


def _schema(kind: str) -> dict:
    template = next(t for t in gatekeeper.templates() if t.kind == kind)
    return template.document["spec"]["crd"]["spec"].get("validation", {}).get("openAPIV3Schema", {})


@pytest.mark.parametrize(("stack", "action"), [("dev", "warn"), ("staging", "dryrun"), ("prod", "deny")])
def test_enforcement_action_follows_the_environment(stack: str, action: str) -> None:
    constraints = _constraints(stack)
    assert constraints
    assert {c["inputs"]["spec"]["enforcementAction"] for c in constraints} == {action}


def test_enforcement_set_in_the_stack_overrides_the_environment_default(tmp_path: Path) -> None:
    result = render_with("prod", tmp_path, {"policy": {"enforcement": "warn"}}, cloud="existing")
    actions = {
        r["inputs"]["spec"]["enforcementAction"] for r in result.resources if r["type"].startswith(CONSTRAINT_PREFIX)
    }
    assert actions == {"warn"}


@pytest.mark.parametrize("constraint", gatekeeper.constraints(config_for("prod")), ids=lambda c: c.name)
def test_every_constraint_parameter_is_valid_for_its_template(constraint: gatekeeper.Constraint) -> None:
    schema = _schema(constraint.kind)
    jsonschema.Draft7Validator(schema).validate(constraint.parameters or {})
    declared = set(schema.get("properties", {}))
    assert set(constraint.parameters or {}) <= declared


def test_every_constraint_kind_has_a_vendored_template() -> None:
    kinds = {t.kind for t in gatekeeper.templates()}
    assert {c.kind for c in gatekeeper.constraints(config_for("dev"))} <= kinds


def test_every_vendored_template_is_used_by_a_constraint() -> None:
    used = {c.kind for c in gatekeeper.constraints(config_for("dev"))}
    assert {t.kind for t in gatekeeper.templates()} == used


def test_vendored_templates_sit_in_their_pinned_version_folder() -> None:
    for template in gatekeeper.templates():
        version = template.document["metadata"]["annotations"]["metadata.gatekeeper.sh/version"]
        assert template.path.endswith(f"/{version}")


def test_rendered_templates_are_the_vendored_documents() -> None:
    rendered = {
        r["inputs"]["spec"]["crd"]["spec"]["names"]["kind"]: r["inputs"]["spec"]
        for r in of_type(render("local"), "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate")
    }
    assert rendered == {t.kind: t.document["spec"] for t in gatekeeper.templates()}


def test_every_exclusion_states_a_reason() -> None:
    for namespace, reason in {**gatekeeper.EXCLUDED, **gatekeeper.POD_SECURITY_EXCLUDED}.items():
        assert len(reason) > 20, namespace


def test_pod_security_rules_skip_the_privileged_add_ons_but_registry_rules_do_not() -> None:
    by_name = {c.name: c for c in gatekeeper.constraints(config_for("dev"))}
    assert "falco" in by_name["baseline-no-privileged"].match["excludedNamespaces"]
    assert "falco" not in by_name["allowed-registries"].match["excludedNamespaces"]


def test_restricted_rules_follow_the_namespace_pod_security_level() -> None:
    by_name = {c.name: c for c in gatekeeper.constraints(config_for("dev"))}
    selector = by_name["restricted-no-privilege-escalation"].match["namespaceSelector"]
    assert selector == {"matchLabels": {"pod-security.kubernetes.io/enforce": "restricted"}}


def test_workload_rules_apply_to_the_services_namespace() -> None:
    by_name = {c.name: c for c in gatekeeper.constraints(config_for("dev"))}
    for name in ("services-required-labels", "services-requests-and-limits", "services-readiness-probe"):
        assert by_name[name].match["namespaces"] == [SERVICES_NAMESPACE]


def test_required_labels_are_the_app_name_and_team() -> None:
    (labels,) = [c for c in gatekeeper.constraints(config_for("dev")) if c.kind == "K8sRequiredLabels"]
    assert [entry["key"] for entry in (labels.parameters or {})["labels"]] == ["app.kubernetes.io/name", "team"]


def test_latest_tag_is_disallowed() -> None:
    (tags,) = [c for c in gatekeeper.constraints(config_for("dev")) if c.kind == "K8sDisallowedTags"]
    assert (tags.parameters or {})["tags"] == ["latest"]


def test_allowed_registries_are_the_configured_ones_then_the_platforms() -> None:
    config = config_for("dev", policy={"allowedRegistries": ["registry.example.com/store/"]})
    registries = allowed_registries(config)
    assert registries[0] == "registry.example.com/store/"
    assert set(PLATFORM_REGISTRIES) <= set(registries)


def test_every_platform_registry_is_a_prefix_ending_in_a_slash_or_a_repository() -> None:
    for prefix in PLATFORM_REGISTRIES:
        assert " " not in prefix and "://" not in prefix and "/" in prefix


def test_the_allowed_registries_constraint_uses_the_single_list() -> None:
    (repos,) = [c for c in gatekeeper.constraints(config_for("staging")) if c.kind == "K8sAllowedRepos"]
    assert (repos.parameters or {})["repos"] == allowed_registries(config_for("staging"))


def test_prod_runs_three_webhook_replicas_with_a_disruption_budget() -> None:
    values = gatekeeper.gatekeeper_values(config_for("prod"), Placement({}, []))
    assert values["replicas"] == 3
    assert values["pdb"]["controllerManager"]["minAvailable"] == 2


def test_gatekeeper_runs_on_the_system_pool() -> None:
    values = release(render("local"), "gatekeeper")
    assert values["values"]["controllerManager"]["nodeSelector"] == values["values"]["audit"]["nodeSelector"]


def test_violations_raise_an_alert_from_the_audit_metric() -> None:
    rules = gatekeeper.violation_alerts(config_for("prod"))["groups"][0]["rules"]
    violations = next(r for r in rules if r["alert"] == "GatekeeperConstraintViolations")
    assert "gatekeeper_violations" in violations["expr"]
    assert violations["labels"]["severity"] == "critical"


def test_violation_alert_is_a_warning_where_nothing_is_denied() -> None:
    rules = gatekeeper.violation_alerts(config_for("dev"))["groups"][0]["rules"]
    assert {r["labels"]["severity"] for r in rules} == {"warning"}


def test_gatekeeper_metrics_are_scraped_and_alerted_on() -> None:
    kinds = {r["type"].rsplit(":", 1)[-1] for r in render("local").resources if "monitoring.coreos.com" in r["type"]}
    assert {"PodMonitor", "PrometheusRule"} <= kinds


def test_workloads_are_checked_as_the_pods_they_will_create() -> None:
    (expansion,) = of_type(render("local"), "kubernetes:expansion.gatekeeper.sh/v1beta1:ExpansionTemplate")
    spec = expansion["inputs"]["spec"]
    assert spec["generatedGVK"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert {"Deployment", "Rollout"} <= {kind for entry in spec["applyTo"] for kind in entry["kinds"]}
