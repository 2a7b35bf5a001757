"""The `gitops` config keys: defaults per environment, sign-in rules, the OIDC client secret."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import SECRET_KEYS, ConfigError, load_config

SSO = {"issuer": "https://login.acme.example", "clientId": "argocd", "groupRoles": {"admins": "admin"}}


def problems(raw: dict[str, Any], stack: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_config({"cloud": "aws", **raw}, stack)
    return [str(p) for p in e.value.problems]


def oidc_secret():
    [secret] = [s for s in SECRET_KEYS if s.key == "argocdOidcClientSecret"]
    return secret


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_default_to_sso_without_local_admin(stack):
    gitops = load_config({"cloud": "aws"}, stack).gitops
    assert gitops.local_admin is False
    assert gitops.sso is not None


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_local_admin_is_rejected_in_staging_and_prod(stack):
    assert problems({"gitops": {"localAdmin": True}}, stack) == [
        "platform.gitops.localAdmin: the shared admin account is off in staging and prod (no audit trail); "
        "set it to false and sign in via sso"
    ]


def test_disabling_local_admin_without_sso_is_rejected():
    [problem] = problems({"gitops": {"localAdmin": False}}, "dev")
    assert problem.startswith("platform.gitops.sso: required with localAdmin: false")


def test_dev_may_turn_sso_on_next_to_local_admin():
    assert load_config({"cloud": "aws", "gitops": {"sso": SSO}}, "dev").gitops.sso is not None


def test_unknown_argocd_role_is_rejected_with_its_path():
    [problem] = problems({"gitops": {"sso": {**SSO, "groupRoles": {"admins": "owner"}}}}, "dev")
    assert problem.startswith("platform.gitops.sso.groupRoles.admins:")


def test_oidc_issuer_must_be_https():
    [problem] = problems({"gitops": {"sso": {**SSO, "issuer": "http://login.acme.example"}}}, "dev")
    assert problem.startswith("platform.gitops.sso.issuer:")


def test_slack_channel_must_be_a_channel_name():
    [problem] = problems({"gitops": {"slackChannel": "deploys"}}, "dev")
    assert problem.startswith("platform.gitops.slackChannel:")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_oidc_client_secret_is_required_in_staging_and_prod(stack):
    assert oidc_secret().required_by(load_config({"cloud": "aws"}, stack))


def test_oidc_client_secret_is_required_where_dev_turns_sso_on():
    assert oidc_secret().required_by(load_config({"cloud": "aws", "gitops": {"sso": SSO}}, "dev"))


def test_oidc_client_secret_is_not_required_in_dev_without_sso():
    assert not oidc_secret().required_by(load_config({"cloud": "aws"}, "dev"))


def test_domain_is_a_host_name_without_scheme():
    assert problems({"gitops": {"domain": "https://argocd.acme.example"}}, "dev") == [
        "platform.gitops.domain: 'https://argocd.acme.example' is not a host name; "
        "write it like argocd.dev.acme.example (no scheme)"
    ]
