"""Secrets backend switch, the ClusterSecretStore, and no secret value outside a Kubernetes Secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s
import pytest
import yaml

from components.addresses import EXTERNAL_SECRETS_NAMESPACE
from components.cluster import SecretsRead, ServiceAccountRef
from components.config import SECRET_KEYS
from components.security import Security, external_secrets
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
from tests.rendering import ROOT, STACKS_ON_CLOUDS, one, render
from tests.security_fakes import FakeManagedCluster, config_for, declare, no_secrets

STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore"
# Where a secret value may appear: Kubernetes Secrets, and pulumi-tls, which generates the Vault
# keys (their state is encrypted like every secret output).
SECRET_HOLDERS = ("kubernetes:core/v1:Secret", "tls:index/")
RENDERS = [(stack, "existing") for stack in ("dev", "staging", "prod")] + [("local", None)]


def _on_fake_aws(**platform: Any) -> tuple[list[dict[str, Any]], FakeManagedCluster]:
    config = config_for("prod", **platform)
    holder: dict[str, FakeManagedCluster] = {}

    def build() -> None:
        cluster = holder["cluster"] = FakeManagedCluster("awskms")
        crds = k8s.core.v1.ConfigMap("monitoring-crds-stand-in")
        Security("sec", config, no_secrets(), cluster, namespaces={}, monitoring_crds=crds, cert_manager=crds)

    return declare(build), holder["cluster"]


def test_vault_backend_store_logs_in_with_kubernetes_auth_and_trusts_the_vault_ca() -> None:
    vault = one(render("local"), STORE)["inputs"]["spec"]["provider"]["vault"]
    assert vault["server"] == "https://vault.vault.svc.cluster.local:8200"
    assert vault["auth"] == {"kubernetes": {"mountPath": "kubernetes", "role": "external-secrets"}}
    assert vault["caProvider"]["name"] == "vault-ca"


def test_aws_secrets_manager_backend_replaces_vault() -> None:
    resources, _ = _on_fake_aws(secrets={"backend": "aws-secrets-manager"})
    (store,) = [r for r in resources if r["type"] == STORE]
    assert list(store["inputs"]["spec"]["provider"]) == ["aws"]
    charts = {r["inputs"]["chart"] for r in resources if r["type"] == "kubernetes:helm.sh/v3:Release"}
    assert "vault" not in charts and "external-secrets" in charts


def test_aws_secrets_manager_is_read_through_workload_identity_limited_to_the_stack_prefix() -> None:
    resources, cluster = _on_fake_aws(secrets={"backend": "aws-secrets-manager"})
    (request,) = [
        i for i in cluster.identities if i.account == ServiceAccountRef(EXTERNAL_SECRETS_NAMESPACE, "external-secrets")
    ]
    assert request.grants == [SecretsRead("acme-store-prod/")]
    (store,) = [r for r in resources if r["type"] == STORE]
    aws = store["inputs"]["spec"]["provider"]["aws"]
    assert "auth" not in aws  # the controller's own identity; no keys in any Secret
    assert aws["prefix"] == "acme-store-prod/"


def test_vault_backend_asks_no_identity_for_external_secrets() -> None:
    _, cluster = _on_fake_aws()
    assert all(i.account.namespace != EXTERNAL_SECRETS_NAMESPACE for i in cluster.identities)


def test_the_store_waits_for_the_operator_that_installs_its_crd() -> None:
    result = render("local")
    store = one(result, STORE)
    operator = one(result, "kubernetes:helm.sh/v3:Release", "external-secrets")
    assert operator["urn"] in store["dependencies"]


def test_external_secrets_runs_on_every_stack() -> None:
    for stack, cloud in RENDERS:
        assert one(render(stack, cloud), STORE)


def test_store_name_is_the_one_the_service_chart_refers_to() -> None:
    assert one(render("local"), STORE)["inputs"]["metadata"]["name"] == external_secrets.CLUSTER_SECRET_STORE


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


# The placeholders the render gives secret config it cannot decrypt, and how it writes any secret.
SECRET_MARKERS = [*(f"placeholder-{secret.key}" for secret in SECRET_KEYS), "[secret]"]
WEBHOOK = "https://hooks.slack.com/services/T0000/B0000/not-a-real-token"


def _leaks(resources: list[dict[str, Any]], secrets: list[str]) -> list[str]:
    return [
        f"{r['type']} {r['name']} {path}"
        for r in resources
        if not r["type"].startswith(SECRET_HOLDERS)
        for path, text in _strings(r["inputs"])
        for secret in secrets
        if secret in text
    ]


@pytest.mark.parametrize(("stack", "cloud"), RENDERS)
def test_no_secret_value_outside_a_kubernetes_secret(stack: str, cloud: str | None) -> None:
    assert _leaks(render(stack, cloud).resources, SECRET_MARKERS) == []


def test_a_secret_given_in_the_stack_file_appears_nowhere_in_plain_text(tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["store-platform:slackWebhookUrl"] = WEBHOOK
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    result = run_program(load_stack(ROOT, "prod", config_file=stack_file, cloud="existing"))
    assert one(result, "kubernetes:core/v1:Secret", "falcosidekick-outputs")
    assert [f"{r['type']} {r['name']}" for r in result.resources if WEBHOOK in str(r["inputs"])] == []
    assert _leaks(result.resources, SECRET_MARKERS) == []


def test_the_prod_slack_webhook_reaches_falcosidekick_only_through_its_secret() -> None:
    result = render("prod", "existing")
    secret = one(result, "kubernetes:core/v1:Secret", "falcosidekick-outputs")
    assert secret["inputs"]["stringData"] == {"SLACK_WEBHOOKURL": "[secret]"}
    falco_values = str(one(result, "kubernetes:helm.sh/v3:Release", "falco")["inputs"]["values"])
    assert "hooks.slack.com" not in falco_values and "placeholder" not in falco_values


def test_the_stacks_under_test_cover_the_shipped_stacks() -> None:
    assert {stack for stack, _ in STACKS_ON_CLOUDS} == {stack for stack, _ in RENDERS}
