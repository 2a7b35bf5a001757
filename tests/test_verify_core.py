"""verify's foundation: chart archives, the full render, the services Argo CD deploys, pods with
the mesh's injection, and the wiring and image checks, each shown catching a planted defect."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from components.catalogue import CATALOGUE, Chart
from components.config import load_config
from store_platform_tools.cli import main
from store_platform_tools.verify import charts as chart_cache
from store_platform_tools.verify.checks import images, wiring
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.fullrender import HelmRefused, Release, render_release
from store_platform_tools.verify.objects import KubeObject, ObjectSet
from store_platform_tools.verify.services import UnsupportedAppSet, applications, substitute
from tests.rendering import ROOT, chart_archives, full_platform

# --- a small chart of our own, packaged as `helm pull` would leave it ----------------------------


def _chart(tmp_path: Path, templates: dict[str, str], schema: dict[str, Any] | None = None) -> Path:
    """A chart `demo` 0.1.0 with the given templates (and values schema), packaged into tmp_path/pkg."""
    source = tmp_path / "src" / "demo"
    (source / "templates").mkdir(parents=True)
    (source / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (source / "values.yaml").write_text("replicas: 1\n")
    if schema is not None:
        import json

        (source / "values.schema.json").write_text(json.dumps(schema))
    (source / "crds").mkdir()
    (source / "crds" / "widgets.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.demo.io}\n"
    )
    for name, text in templates.items():
        (source / "templates" / name).write_text(text)
    (tmp_path / "pkg").mkdir(exist_ok=True)
    helm_python.package(source, destination=tmp_path / "pkg")
    return tmp_path / "pkg"


_CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo}\ndata: {replicas: '{{ .Values.replicas }}'}\n"
_TEST_HOOK = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: demo-test, annotations: {helm.sh/hook: test}}\n"
    "spec: {containers: [{name: t, image: busybox:1.36}]}\n"
)


def test_a_release_installs_its_crds_and_templates_in_its_namespace_without_test_hooks(tmp_path):
    pkg = _chart(tmp_path, {"cm.yaml": _CONFIG_MAP, "test.yaml": _TEST_HOOK})
    objects = render_release(Release("demo", "apps", "demo", "0.1.0", {"replicas": 3}), pkg)
    kinds = sorted((o.kind, o.release_namespace) for o in objects)
    assert kinds == [("ConfigMap", "apps"), ("CustomResourceDefinition", "apps")]
    assert next(o for o in objects if o.kind == "ConfigMap").body["data"] == {"replicas": "3"}


def test_a_release_whose_values_the_chart_refuses_carries_helms_message(tmp_path):
    schema = {"type": "object", "properties": {"replicas": {"type": "integer"}}}
    pkg = _chart(tmp_path, {"cm.yaml": _CONFIG_MAP}, schema)
    with pytest.raises(HelmRefused) as refused:
        render_release(Release("demo", "apps", "demo", "0.1.0", {"replicas": "three"}), pkg)
    assert "replicas" in refused.value.helm_message


def test_a_template_that_fails_on_its_values_is_refused(tmp_path):
    pkg = _chart(tmp_path, {"cm.yaml": '{{ required "name is required" .Values.name }}'})
    with pytest.raises(HelmRefused, match="name is required"):
        render_release(Release("demo", "apps", "demo", "0.1.0", {}), pkg)


def test_a_missing_archive_says_how_to_get_it(tmp_path):
    with pytest.raises(chart_cache.MissingArchive, match="charts pull"):
        render_release(Release("demo", "apps", "demo", "9.9.9", {}), tmp_path)


def test_charts_pull_fills_the_cache_as_helm_pull_lays_it_out(tmp_path):
    pkg = _chart(tmp_path, {"cm.yaml": _CONFIG_MAP})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(pkg))
    )
    url = f"http://127.0.0.1:{server.server_address[1]}"
    helm_python.repo_index_generate(pkg, base_url=url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pulled = chart_cache.pull([Chart("demo", url, "0.1.0")], tmp_path / "cache")
    finally:
        server.shutdown()
    assert pulled == [tmp_path / "cache" / "demo-0.1.0.tgz"] and pulled[0].is_file()


def test_every_catalogue_chart_has_an_archive_offline():
    archives = chart_archives()
    missing = [c for c in CATALOGUE.values() if not chart_cache.archive_path(archives, c.chart, c.version).is_file()]
    assert missing == [], "pin only versions whose archive can be rendered"


# --- the services Argo CD deploys ----------------------------------------------------------------


def test_substitution_fills_parameters_and_json():
    params = {"service": "auth", "slo": {"availability": 99.9}}
    assert substitute("n: {{ .service }}\ns: {{ toJson .slo }}", params) == 'n: auth\ns: {"availability": 99.9}'


def test_an_unknown_template_function_is_not_guessed():
    with pytest.raises(UnsupportedAppSet):
        substitute("{{ upper .service }}", {"service": "auth"})


def test_the_applicationset_yields_one_application_per_service_on_its_cluster():
    platform = full_platform("prod", "aws")
    program = [o for o in platform.objects if o.source == "program"]
    appset = next(o for o in program if o.kind == "ApplicationSet")
    clusters = [o for o in program if o.labels.get("argocd.argoproj.io/secret-type") == "cluster"]
    apps = applications(appset, clusters)
    assert sorted(a["metadata"]["name"] for a in apps) == sorted(load_config({}, "prod").services)
    assert {a["spec"]["source"]["helm"]["valuesObject"]["environment"] for a in apps} == {"prod"}


# --- pods as they will run -----------------------------------------------------------------------


def test_services_pods_carry_the_istio_proxy_the_injector_adds():
    pods = [p for p in full_platform("dev", "aws").pods if p.namespace == "store"]
    assert pods and all("istio-proxy" in p.injected for p in pods)
    assert all(p.labels.get("security.istio.io/tlsMode") == "istio" for p in pods)


def test_pods_outside_enrolled_namespaces_are_not_injected():
    pods = [p for p in full_platform("dev", "aws").pods if p.namespace == "monitoring"]
    assert pods and not any(p.injected for p in pods)


def test_prometheus_pods_come_from_the_operator():
    pods = [p for p in full_platform("prod", "aws").pods if p.owner.kind == "Prometheus"]
    assert [p.labels["app.kubernetes.io/name"] for p in pods] == ["prometheus"]


# --- wiring and images, on planted defects -------------------------------------------------------


def _platform(*bodies: dict[str, Any], environment: str = "dev") -> Platform:
    objects = [KubeObject(b, "program", "") for b in bodies]
    return Platform(ObjectSet(objects), load_config({"cloud": "aws"}, environment))


def _deployment(name: str, labels: dict[str, str], image: str = "ghcr.io/acme/x:1.0", **pod: Any) -> dict[str, Any]:
    container = {"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "store"},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [container], **pod}}},
    }


def _service(selector: dict[str, str], target: Any = "http") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "store"},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target}]},
    }


def test_a_service_that_selects_no_pod_is_found():
    findings = wiring.check(_platform(_deployment("web", {"app": "web"}), _service({"app": "wbe"})))
    assert [f.rule for f in findings] == ["selector {'app': 'wbe'} matches no pod"]


def test_a_service_whose_named_port_no_pod_has_is_found():
    findings = wiring.check(_platform(_deployment("web", {"app": "web"}), _service({"app": "web"}, "metrics")))
    assert len(findings) == 1 and "metrics" in findings[0].rule


def test_a_matching_service_is_fine():
    assert wiring.check(_platform(_deployment("web", {"app": "web"}), _service({"app": "web"}))) == []


def test_a_mounted_secret_nothing_creates_is_found_and_a_declared_one_is_not():
    volumes = [{"name": "a", "secret": {"secretName": "missing"}}, {"name": "b", "secret": {"secretName": "here"}}]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "here", "namespace": "store"}}
    findings = wiring.check(_platform(_deployment("web", {"app": "web"}, volumes=volumes), secret))
    assert [f.rule for f in findings] == ["Secret store/missing is mounted or read but nothing creates it"]


def test_a_secret_an_external_secret_creates_counts_as_existing():
    env = [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "db", "key": "k"}}}]
    deployment = _deployment("web", {"app": "web"})
    deployment["spec"]["template"]["spec"]["containers"][0]["env"] = env
    external = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "db", "namespace": "store"},
        "spec": {"target": {"name": "db"}},
    }
    assert wiring.check(_platform(deployment, external)) == []


def test_a_network_policy_peer_that_selects_nothing_is_found():
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": "store"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "nobody"}}}]}]},
    }
    findings = wiring.check(_platform(_deployment("web", {"app": "web"}), policy))
    assert len(findings) == 1 and "selects no pod" in findings[0].rule


@pytest.mark.parametrize("image", ["ghcr.io/acme/x", "ghcr.io/acme/x:latest", "ghcr.io/acme/x:"])
def test_an_unpinned_image_is_found(image):
    findings = images.check(_platform(_deployment("web", {"app": "web"}, image=image)))
    assert [f.rule for f in findings] == [f"image {image} is not pinned"]


def test_an_image_from_a_registry_the_policy_does_not_allow_is_found():
    findings = images.check(_platform(_deployment("web", {"app": "web"}, image="docker.io/evil/miner:1.0")))
    assert [f.rule for f in findings] == ["image docker.io/evil/miner:1.0 is from a registry the policy does not allow"]


@pytest.mark.parametrize("image", ["ghcr.io/acme/x:1.2.3", "ghcr.io/acme/x@sha256:" + "a" * 64])
def test_a_pinned_image_from_an_allowed_registry_passes(image):
    assert images.check(_platform(_deployment("web", {"app": "web"}, image=image))) == []


# --- the command ---------------------------------------------------------------------------------


def test_verify_exits_zero_on_a_clean_stack(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["verify", "dev", "--cloud", "aws", "--charts", str(chart_archives())]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(" 0 findings")


def test_verify_exits_one_with_findings_and_names_each(monkeypatch, capsys, tmp_path):
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["store-platform:platform"]["policy"] = {"allowedRegistries": ["registry.example/only/"]}
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    monkeypatch.chdir(ROOT)
    status = main(
        ["verify", "dev", "--config-file", str(stack_file), "--charts", str(chart_archives()), "--check", "images"]
    )
    out = capsys.readouterr().out
    assert status == 1
    assert "[images] pod of Rollout store/auth" in out and "ghcr.io/acme/store-management-auth" in out


def test_verify_exits_two_on_invalid_config(monkeypatch, tmp_path, capsys):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump({"config": {"store-platform:platform": {"cloud": "moon"}}}))
    monkeypatch.chdir(ROOT)
    assert main(["verify", "dev", "--config-file", str(stack_file), "--charts", str(tmp_path)]) == 2
    assert "platform.cloud" in capsys.readouterr().err


def test_images_lists_every_image_once_pinned(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["images", "dev", "--cloud", "aws", "--charts", str(chart_archives())]) == 0
    listed = capsys.readouterr().out.split()
    assert listed == sorted(set(listed))
    assert any(i.startswith("docker.io/istio/proxyv2:") for i in listed)  # the injected proxy too
    assert all(images.is_pinned(i) for i in listed)


def test_render_full_writes_the_releases_objects_beside_the_programs(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    assert (
        main(["render", "dev", "--cloud", "aws", "--full", "--charts", str(chart_archives()), "--out", str(out)]) == 0
    )
    files = {p.name for p in (out / "manifests").iterdir()}
    assert "installed_deployment_istio-system_istiod.yaml" in files
    assert any(not f.startswith("installed_") for f in files)


def _api_gateway(secret: str) -> dict[str, Any]:
    listener = {"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"certificateRefs": [{"name": secret}]}}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "platform", "namespace": "store"},
        "spec": {"gatewayClassName": "istio", "listeners": [listener]},
    }


def test_a_gateway_api_listener_whose_certificate_nothing_creates_is_found():
    findings = wiring.check(_platform(_api_gateway("missing-tls")))
    assert [f.rule for f in findings] == ["listener https: certificate Secret store/missing-tls does not exist"]


def test_a_gateway_api_certificate_a_cert_manager_certificate_issues_counts_as_existing():
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "site", "namespace": "store"},
        "spec": {"secretName": "site-tls"},
    }
    assert wiring.check(_platform(_api_gateway("site-tls"), certificate)) == []


# --- CRDs the program applies from a chart's source ----------------------------------------------


def _config_file(url: str) -> dict[str, Any]:
    return {"type": "kubernetes:yaml/v2:ConfigFile", "name": "crds", "inputs": {"file": url}}


def test_a_chart_crd_file_is_read_from_the_archive_of_the_version_its_url_names():
    from components.catalogue import CHART_CRD_FILES
    from store_platform_tools.verify.fullrender import config_file_objects

    url = CHART_CRD_FILES["sloth"].url_at(CATALOGUE["sloth"].version)
    (crd,) = config_file_objects([_config_file(url)], chart_archives())
    assert crd.kind == "CustomResourceDefinition" and crd.name == "prometheusservicelevels.sloth.slok.dev"


def test_a_config_file_verify_cannot_read_offline_is_refused(tmp_path):
    from store_platform_tools.verify.fullrender import UnknownManifestSource, config_file_objects

    with pytest.raises(UnknownManifestSource, match="CHART_CRD_FILES"):
        config_file_objects([_config_file("https://example.com/crds.yaml")], tmp_path)


def test_the_platform_as_it_will_run_has_the_sloth_crd_once():
    platform = full_platform("dev", "aws")
    crds = [o for o in platform.objects.of_kind("CustomResourceDefinition") if o.name.endswith("sloth.slok.dev")]
    assert [o.source for o in crds] == ["configfile store-observability-sloth-crds"]
