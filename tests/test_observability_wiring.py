"""The Observability component under mocks: namespaces, dependencies, the trace backend switch,
and no secret in any values or ConfigMap."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.addresses import MONITORING_NAMESPACE
from components.observability import AGENTS_NAMESPACE
from store_platform_tools.render import run_program
from store_platform_tools.stackfile import load_stack
from tests.rendering import ROOT, of_type, one, render, render_with

RELEASE = "kubernetes:helm.sh/v3:Release"
RENDERS = [(s, "existing") for s in ("dev", "staging", "prod")] + [("local", None)]


def _release(result, name: str) -> dict[str, Any]:
    return one(result, RELEASE, name)


def test_monitoring_namespaces_are_exposed_with_their_pod_security():
    result = render("dev", "existing")
    labels = {
        ns["inputs"]["metadata"]["name"]: ns["inputs"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
        for ns in of_type(result, "kubernetes:core/v1:Namespace")
    }
    assert labels[MONITORING_NAMESPACE] == "restricted"
    assert labels[AGENTS_NAMESPACE] == "privileged"


def test_releases_with_monitors_wait_for_the_monitoring_crds():
    result = render("dev", "existing")
    crds = _release(result, "-monitoring-crds")["urn"]
    for name in ("-kube-prometheus-stack", "-otel-collector", "-otel-agent", "-sloth"):
        assert crds in _release(result, name)["dependencies"], name


def test_log_and_trace_stores_do_not_wait_for_the_monitoring_crds():
    result = render("dev", "existing")
    crds = _release(result, "-monitoring-crds")["urn"]
    for name in ("-loki", "-tempo"):
        assert crds not in _release(result, name)["dependencies"], name


def test_grafana_admin_comes_from_a_secret_the_stack_waits_for():
    result = render("dev", "existing")
    secret = one(result, "kubernetes:core/v1:Secret", "grafana-admin")
    stack = _release(result, "-kube-prometheus-stack")
    assert stack["inputs"]["values"]["grafana"]["admin"]["existingSecret"] == secret["inputs"]["metadata"]["name"]
    assert secret["urn"] in stack["dependencies"]


def _values_and_config_maps(result) -> list[tuple[str, str]]:
    found = [(r["name"], json.dumps(r["inputs"].get("values"))) for r in of_type(result, RELEASE)]
    return found + [(r["name"], json.dumps(r["inputs"])) for r in of_type(result, "kubernetes:core/v1:ConfigMap")]


@pytest.mark.parametrize(("stack", "cloud"), RENDERS)
def test_no_secret_in_any_values_or_config_map(stack, cloud):
    # Required secrets render as placeholder values: none of them (nor a secret marker) may
    # reach Helm values or a ConfigMap.
    for name, text in _values_and_config_maps(render(stack, cloud)):
        assert "placeholder-" not in text, name
        assert "[secret]" not in text, name


def test_set_secrets_stay_in_the_receivers_secret(tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    document["config"]["store-platform:slackWebhookUrl"] = "https://hooks.slack.example/T0/B0/very-secret"
    path = tmp_path / "Pulumi.staging.yaml"
    path.write_text(yaml.safe_dump(document))
    result = run_program(load_stack(ROOT, "staging", config_file=path, cloud="existing"))
    for name, text in _values_and_config_maps(result):
        assert "very-secret" not in text, name
    assert one(result, "kubernetes:core/v1:Secret", "alert-receivers")["inputs"]["stringData"] == {
        "slack-webhook-url": "[secret]"
    }


def _releases(result) -> dict[str, dict[str, Any]]:
    return {r["name"].rsplit("-observability-", 1)[-1]: r["inputs"] for r in of_type(result, RELEASE)}


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def test_jaeger_swaps_the_trace_backend_and_nothing_else(tmp_path):
    tempo = _releases(render("dev", "existing"))
    jaeger = _releases(render_with("dev", tmp_path, {"observability": {"tracing": "jaeger"}}, "existing"))
    assert set(tempo) - set(jaeger) == {"tempo"}
    assert set(jaeger) - set(tempo) == {"jaeger"}
    changed = {name: _differences(tempo[name]["values"], jaeger[name]["values"]) for name in set(tempo) & set(jaeger)}
    assert {name: paths for name, paths in changed.items() if paths} == {
        "otel-collector": [".alternateConfig.exporters.otlp/traces.endpoint"],
        "kube-prometheus-stack": [
            ".grafana.additionalDataSources[1].jsonData.nodeGraph",
            ".grafana.additionalDataSources[1].jsonData.serviceMap",
            ".grafana.additionalDataSources[1].type",
            ".grafana.additionalDataSources[1].url",
        ],
    }


def test_trace_links_keep_their_data_source_uid_whichever_backend(tmp_path):
    jaeger = _releases(render_with("dev", tmp_path, {"observability": {"tracing": "jaeger"}}, "existing"))
    sources = jaeger["kube-prometheus-stack"]["values"]["grafana"]["additionalDataSources"]
    assert [s["uid"] for s in sources] == ["loki", "traces"]
    assert sources[0]["jsonData"]["derivedFields"][0]["datasourceUid"] == "traces"
