"""Argo CD and Argo Rollouts chart values: pure functions of config, per environment."""

from __future__ import annotations

import pytest
import yaml

from components.cluster import SYSTEM_POOL_LABEL, SYSTEM_POOL_TAINT, Placement
from components.config import load_config
from components.gitops.argocd import NOTIFICATIONS_SECRET, OIDC_SECRET, OIDC_SECRET_KEY, argocd_values
from components.gitops.bootstrap import application_set_spec
from components.gitops.rollouts import rollouts_values

SYSTEM = Placement(node_selector={SYSTEM_POOL_LABEL: "system"}, tolerations=[SYSTEM_POOL_TAINT])


def config(stack: str, **platform):
    return load_config({"cloud": "existing" if stack == "local" else "aws", **platform}, stack)


def argocd(stack: str, notifications: bool = False, **platform):
    return argocd_values(config(stack, **platform), SYSTEM, notifications=notifications)


def test_prod_argocd_runs_redis_ha_and_two_servers_and_repo_servers():
    values = argocd("prod")
    assert values["redis-ha"]["enabled"] is True
    assert values["server"]["replicas"] == 2
    assert values["repoServer"]["replicas"] == 2
    assert values["server"]["pdb"] == {"enabled": True, "minAvailable": 1}


@pytest.mark.parametrize("stack", ["dev", "staging", "local"])
def test_non_prod_argocd_runs_single_replicas_without_redis_ha(stack):
    values = argocd(stack)
    assert values["redis-ha"] == {"enabled": False}
    assert values["server"]["replicas"] == values["repoServer"]["replicas"] == 1


@pytest.mark.parametrize(("stack", "enabled"), [("dev", True), ("local", True), ("staging", False), ("prod", False)])
def test_local_admin_only_in_dev_and_local(stack, enabled):
    assert argocd(stack)["configs"]["cm"]["admin.enabled"] is enabled


def test_oidc_client_secret_is_a_reference_to_the_kubernetes_secret():
    oidc = yaml.safe_load(argocd("prod")["configs"]["cm"]["oidc.config"])
    assert oidc["clientSecret"] == f"${OIDC_SECRET}:{OIDC_SECRET_KEY}"
    assert oidc["issuer"] == "https://login.acme.example"
    assert oidc["clientID"] == "argocd-prod"


def test_no_oidc_config_without_sso():
    assert "oidc.config" not in argocd("dev")["configs"]["cm"]


def test_rbac_defaults_to_read_only():
    assert argocd("prod")["configs"]["rbac"]["policy.default"] == "role:readonly"


def test_rbac_maps_configured_groups_to_their_roles():
    policy = argocd("staging")["configs"]["rbac"]["policy.csv"].splitlines()
    assert "g, store-platform-admins, role:admin" in policy
    assert "g, store-developers, role:deployer" in policy


def test_deployer_role_reaches_only_the_store_project():
    policy = argocd("staging")["configs"]["rbac"]["policy.csv"].splitlines()
    grants = [line for line in policy if line.startswith("p, role:deployer,")]
    assert grants
    assert all(line.split(", ")[4] == "store/*" for line in grants)


def test_tls_minimum_is_1_2_for_server_and_repo_server():
    params = argocd("dev")["configs"]["params"]
    assert params["server.tls.minversion"] == "1.2"
    assert params["reposerver.tls.minversion"] == "1.2"


def test_argocd_pods_are_placed_on_the_system_pool():
    glob = argocd("dev")["global"]
    assert glob["nodeSelector"][SYSTEM_POOL_LABEL] == "system"
    assert glob["tolerations"] == [SYSTEM_POOL_TAINT]


def test_redis_ha_pods_are_placed_on_the_system_pool():
    redis = argocd("prod")["redis-ha"]
    assert redis["nodeSelector"] == {SYSTEM_POOL_LABEL: "system"}
    assert redis["haproxy"]["tolerations"] == [SYSTEM_POOL_TAINT]


def test_notifications_off_without_the_webhook_secret():
    assert argocd("dev", notifications=False)["notifications"] == {"enabled": False}


def test_notifications_read_the_webhook_from_the_secret_not_from_values():
    notifications = argocd("prod", notifications=True)["notifications"]
    assert notifications["secret"] == {"create": False, "name": NOTIFICATIONS_SECRET}
    service = yaml.safe_load(notifications["notifiers"]["service.webhook.slack"])
    assert service["url"] == "$slack-webhook-url"


def test_notifications_subscribe_every_trigger_to_the_configured_channel():
    notifications = argocd("prod", notifications=True, gitops={"slackChannel": "#ops"})["notifications"]
    [subscription] = notifications["subscriptions"]
    assert subscription["recipients"] == ["slack:#ops"]
    assert sorted(f"trigger.{t}" for t in subscription["triggers"]) == sorted(notifications["triggers"])


def test_every_notification_trigger_sends_a_defined_template():
    notifications = argocd("prod", notifications=True)["notifications"]
    sent = {t for rules in notifications["triggers"].values() for rule in yaml.safe_load(rules) for t in rule["send"]}
    assert {f"template.{t}" for t in sent} <= set(notifications["templates"])


def test_dex_is_off_since_oidc_goes_straight_to_the_provider():
    assert argocd("prod")["dex"] == {"enabled": False}


def test_rollouts_controller_is_ha_in_prod_only():
    assert rollouts_values(config("prod"), SYSTEM)["controller"]["replicas"] == 2
    assert rollouts_values(config("dev"), SYSTEM)["controller"]["replicas"] == 1


def test_rollouts_dashboard_is_off():
    assert rollouts_values(config("prod"), SYSTEM)["dashboard"] == {"enabled": False}


def test_rollouts_gets_only_istio_traffic_routing_rbac():
    providers = rollouts_values(config("dev"), SYSTEM)["providerRBAC"]["providers"]
    assert [p for p, on in providers.items() if on] == ["istio"]


def test_rollouts_controller_is_placed_on_the_system_pool():
    controller = rollouts_values(config("dev"), SYSTEM)["controller"]
    assert controller["nodeSelector"] == {SYSTEM_POOL_LABEL: "system"}
    assert controller["tolerations"] == [SYSTEM_POOL_TAINT]


def test_redis_ha_containers_meet_pod_security_restricted():
    redis = argocd("prod")["redis-ha"]
    for context in (redis["containerSecurityContext"], redis["haproxy"]["containerSecurityContext"]):
        assert context["runAsNonRoot"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod", "local"])
def test_the_applicationset_controller_honours_an_applicationsets_own_sync_policy(stack):
    """Without the override the controller ignores spec.syncPolicy.applicationsSync (prod's
    create-update) and applies its own policy, which deletes Applications."""
    uses_policy = "applicationsSync" in application_set_spec(config(stack)).get("syncPolicy", {})
    override = argocd(stack)["configs"]["params"].get("applicationsetcontroller.enable.policy.override")
    assert override is True or not uses_policy
