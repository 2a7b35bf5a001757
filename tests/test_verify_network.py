"""verify's network check: NetworkPolicy semantics, flows derived from objects, blocked and
over-open findings, and the shipped stacks proven clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store_platform_tools.verify.checks import network
from store_platform_tools.verify.cluster_baseline import baseline_objects
from store_platform_tools.verify.context import Platform
from store_platform_tools.verify.endpoints import endpoints_of
from store_platform_tools.verify.netpol import Endpoint, Policies
from store_platform_tools.verify.objects import KubeObject, ObjectSet
from store_platform_tools.verify.required_flows import derived_flows
from tests.rendering import ROOT, render
from tests.security_fakes import config_for

CHARTS = ROOT.parent / "shared" / "upstream" / "charts-pkg"


def _obj(body: dict[str, Any]) -> KubeObject:
    return KubeObject(body, "test", "")


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> KubeObject:
    return _obj(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def _pod(namespace: str, labels: dict[str, str], ports: tuple[tuple[str, str, int], ...] = (), ip: str = "10.0.1.5"):
    return Endpoint(f"{namespace}/{labels}", "pod", ip, namespace, labels, ports)


DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
TCP = "TCP"


def _policies(*policies: KubeObject, by_address: bool = True, labels: dict | None = None) -> Policies:
    return Policies(policies, labels or {}, ipblock_matches_pods=by_address)


# --- semantics (the examples of the Kubernetes NetworkPolicy documentation) -------------------


def test_a_pod_no_policy_selects_accepts_everything() -> None:
    a, b = _pod("a", {"app": "x"}), _pod("b", {"app": "y"})
    assert _policies(_policy("c", "deny", DENY_ALL)).verdict(a, b, (TCP, 80)).allowed


def test_default_deny_blocks_both_directions() -> None:
    a, b = _pod("a", {"app": "x"}), _pod("b", {"app": "y"})
    verdict = _policies(_policy("b", "deny", DENY_ALL)).verdict(a, b, (TCP, 80))
    assert not verdict.allowed and verdict.egress_ok and not verdict.ingress_ok


def test_both_the_sources_egress_and_the_destinations_ingress_must_allow() -> None:
    a, b = _pod("a", {"app": "x"}, ip="10.0.1.5"), _pod("b", {"app": "y"}, ip="10.0.2.5")
    egress_only = _policy("a", "out", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]})
    policies = _policies(_policy("a", "deny", DENY_ALL), egress_only, _policy("b", "deny", DENY_ALL))
    assert not policies.verdict(a, b, (TCP, 80)).allowed


def test_a_pod_selector_alone_means_the_policys_own_namespace() -> None:
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}
    policies = _policies(_policy("b", "in", rule))
    b = _pod("b", {"app": "y"})
    assert policies.verdict(_pod("b", {"app": "z"}), b, (TCP, 80)).allowed
    assert not policies.verdict(_pod("a", {"app": "z"}), b, (TCP, 80)).allowed


def test_namespace_and_pod_selector_in_one_peer_mean_both() -> None:
    peer = {"namespaceSelector": {"matchLabels": {"team": "x"}}, "podSelector": {"matchLabels": {"role": "client"}}}
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [peer]}]}
    policies = _policies(_policy("b", "in", rule), labels={"a": {"team": "x"}})
    b = _pod("b", {"app": "y"})
    assert policies.verdict(_pod("a", {"role": "client"}), b, (TCP, 80)).allowed
    assert not policies.verdict(_pod("a", {"role": "other"}), b, (TCP, 80)).allowed
    assert not policies.verdict(_pod("c", {"role": "client"}), b, (TCP, 80)).allowed


def test_named_ports_resolve_against_the_destination_containers() -> None:
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": "metrics"}]}]}
    policies = _policies(_policy("b", "in", rule))
    b = _pod("b", {"app": "y"}, ports=(("metrics", TCP, 9090), ("http", TCP, 8080)))
    assert policies.verdict(_pod("a", {}), b, (TCP, 9090)).allowed
    assert not policies.verdict(_pod("a", {}), b, (TCP, 8080)).allowed


def test_end_port_opens_a_range() -> None:
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 32000, "endPort": 32768}]}]}
    policies = _policies(_policy("b", "in", rule))
    b = _pod("b", {})
    assert policies.verdict(_pod("a", {}), b, (TCP, 32500)).allowed
    assert not policies.verdict(_pod("a", {}), b, (TCP, 32769)).allowed
    assert not policies.verdict(_pod("a", {}), b, ("UDP", 32500)).allowed


def test_ip_block_except_carves_out_addresses() -> None:
    block = {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}}
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [block]}]}
    policies = _policies(_policy("b", "in", rule))
    b = _pod("b", {})
    assert policies.verdict(Endpoint("host", "address", "172.17.2.9"), b, (TCP, 80)).allowed
    assert not policies.verdict(Endpoint("host", "address", "172.17.1.9"), b, (TCP, 80)).allowed


def test_cilium_does_not_match_pods_with_an_ip_block() -> None:
    rule = {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
    a, b = _pod("a", {}), _pod("b", {})
    assert _policies(_policy("b", "in", rule), by_address=True).verdict(a, b, (TCP, 80)).allowed
    assert not _policies(_policy("b", "in", rule), by_address=False).verdict(a, b, (TCP, 80)).allowed


def test_egress_rules_without_policy_types_isolate_for_egress() -> None:
    policies = _policies(_policy("a", "out", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]}))
    assert not policies.verdict(_pod("a", {}), _pod("b", {}), (TCP, 80)).allowed


def test_host_network_pods_are_reached_only_through_ip_blocks() -> None:
    node_pod = Endpoint("exporter", "pod", "10.0.0.4", "agents", {"app": "exporter"}, host_network=True)
    by_label = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {}}]}]}
    by_cidr = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}]}]}
    source = _pod("a", {})
    assert not _policies(_policy("a", "out", by_label)).verdict(source, node_pod, (TCP, 9100)).allowed
    assert _policies(_policy("a", "out", by_cidr)).verdict(source, node_pod, (TCP, 9100)).allowed


# --- flows derived from objects --------------------------------------------------------------


def _deployment(namespace: str, name: str, labels: dict[str, str], ports: list[dict]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "ports": ports}]}},
        },
    }


def _service(namespace: str, name: str, selector: dict, ports: list[dict], labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"selector": selector, "ports": ports},
    }


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _small_platform(extra: list[dict[str, Any]]) -> Platform:
    """A Prometheus scraping an app in another namespace through a ServiceMonitor (namespaceSelector
    any), and a webhook the API server calls; everything denied unless `extra` allows it."""
    objects = [
        _namespace("monitoring"),
        _namespace("apps"),
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"name": "main", "namespace": "monitoring"},
            "spec": {"serviceMonitorSelector": {}, "serviceMonitorNamespaceSelector": {}},
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "app", "namespace": "monitoring"},
            "spec": {
                "selector": {"matchLabels": {"team": "apps"}},
                "namespaceSelector": {"any": True},
                "endpoints": [{"port": "metrics"}],
            },
        },
        _deployment("apps", "app", {"app": "app"}, [{"name": "metrics", "containerPort": 9102}]),
        _service(
            "apps", "app", {"app": "app"}, [{"name": "metrics", "port": 80, "targetPort": "metrics"}], {"team": "apps"}
        ),
        _deployment("apps", "hook", {"app": "hook"}, [{"name": "https", "containerPort": 8443}]),
        _service("apps", "hook", {"app": "hook"}, [{"port": 443, "targetPort": 8443}]),
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "hook"},
            "webhooks": [{"name": "h.example.com", "clientConfig": {"service": {"namespace": "apps", "name": "hook"}}}],
        },
        _policy("apps", "default-deny", DENY_ALL).body,
        _policy("monitoring", "default-deny", DENY_ALL).body,
        *(o.body for o in extra),
    ]
    declared = [_obj(o) for o in objects]
    return Platform(ObjectSet(declared + baseline_objects("aws", declared)), config_for("dev"))


def _derived(platform: Platform) -> set[str]:
    ends = endpoints_of(platform.objects, platform.pods, platform.config)
    return {f.describe() for f in derived_flows(platform.objects, ends, platform.config)}


def test_scrape_targets_follow_the_monitor_through_its_service_to_the_pods_port() -> None:
    flows = _derived(_small_platform([]))
    assert "monitoring/Prometheus main -> apps/Deployment app:9102/TCP" in flows


def test_a_monitor_no_prometheus_selects_needs_no_flow() -> None:
    platform = _small_platform([])
    prometheus = platform.objects.of_kind("Prometheus")[0]
    del prometheus.body["spec"]["serviceMonitorSelector"]  # nil selector: no ServiceMonitor at all
    assert not any("app:9102" in f for f in _derived(platform))


def test_webhooks_are_called_by_the_api_server_on_the_target_port() -> None:
    assert "Kubernetes API server -> apps/Deployment hook:8443/TCP" in _derived(_small_platform([]))


def test_a_flow_the_policies_block_is_found_with_its_direction() -> None:
    findings = network.check(_small_platform([]))
    blocked = [f for f in findings if f.subject == "monitoring/Prometheus main -> apps/Deployment app:9102/TCP"]
    assert len(blocked) == 1
    assert "egress of monitoring" in blocked[0].rule and "ingress of apps" in blocked[0].rule


SCRAPE_OUT = _policy(
    "monitoring",
    "scrape-out",
    {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}}]}],
    },
)
WEBHOOK_IN = _policy(
    "apps",
    "webhook",
    {
        "podSelector": {"matchLabels": {"app": "hook"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8443}]}],
    },
)


def test_opening_exactly_the_needed_flows_leaves_no_finding() -> None:
    scrape_in = _policy(
        "apps",
        "scrape-in",
        {
            "podSelector": {"matchLabels": {"app": "app"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"prometheus": "main"}}}],
                    "ports": [{"port": "metrics"}],
                }
            ],
        },
    )
    dns = _policy(
        "*",
        "dns",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]}],
        },
    )
    policies = [SCRAPE_OUT, scrape_in, WEBHOOK_IN]
    policies += [_policy(ns, "dns", dns.spec) for ns in ("apps", "monitoring")]
    assert network.check(_small_platform(policies)) == []


def test_an_ingress_from_every_namespace_on_every_port_is_over_open() -> None:
    wide = _policy(
        "apps",
        "wide",
        {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]},
    )
    findings = network.check(_small_platform([SCRAPE_OUT, WEBHOOK_IN, wide]))
    over = [f for f in findings if f.subject.startswith("NetworkPolicy apps/wide ingress[0]")]
    assert len(over) == 1
    assert "default/any other pod -> apps/Deployment app:9102/TCP" in over[0].rule


# --- the shipped stacks ----------------------------------------------------------------------


@pytest.mark.skipif(not CHARTS.is_dir(), reason="needs the chart archives in ../shared/upstream/charts-pkg")
@pytest.mark.parametrize(("stack", "cloud"), [("prod", "gcp"), ("dev", "aws"), ("local", "existing")])
def test_the_shipped_stacks_have_no_network_findings(stack: str, cloud: str) -> None:
    from store_platform_tools.stackfile import load_stack
    from store_platform_tools.verify.run import platform_of, run_checks

    platform = platform_of(render(stack, cloud), load_stack(ROOT, stack, cloud=cloud), CHARTS, Path(ROOT))
    findings = run_checks(platform, ["network"])
    assert [f.line() for f in findings] == []
