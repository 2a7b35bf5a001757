"""Namespace-wide NetworkPolicies and Pod Security labels of every namespace the platform creates."""

from __future__ import annotations

import pytest

from components.addresses import INGRESS_NAMESPACE, ISTIO_NAMESPACE, LINKERD_NAMESPACE, SERVICES_NAMESPACE
from components.security.flows import ANY_NAMESPACE, FLOWS, flows_for
from components.security.namespaces import SECURITY_NAMESPACES
from tests.rendering import of_type, render
from tests.security_fakes import config_for

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"


def _policies(stack: str = "local", cloud: str | None = None) -> dict[tuple[str, str], dict]:
    return {
        (p["inputs"]["metadata"]["namespace"], p["inputs"]["metadata"]["name"]): p["inputs"]
        for p in of_type(render(stack, cloud), POLICY)
    }


def _namespaces(stack: str = "local") -> dict[str, dict]:
    return {n["inputs"]["metadata"]["name"]: n["inputs"] for n in of_type(render(stack), NAMESPACE)}


def test_every_namespace_the_platform_creates_denies_all_by_default() -> None:
    policies = _policies()
    for namespace in _namespaces():
        deny = policies[(namespace, "default-deny")]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, namespace


def test_every_namespace_may_resolve_names() -> None:
    policies = _policies()
    for namespace in _namespaces():
        egress = policies[(namespace, "allow-dns")]["spec"]["egress"][0]
        assert {p["port"] for p in egress["ports"]} == {53}
        assert egress["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}


def test_prometheus_scrapes_only_metrics_ports() -> None:
    scrapes = {
        ns: p["spec"]["ingress"][0] for (ns, name), p in _policies().items() if name == "allow-prometheus-scrape"
    }
    assert SERVICES_NAMESPACE in scrapes
    for namespace, rule in scrapes.items():
        assert rule["from"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
        assert rule["from"][0]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
        assert rule["ports"], namespace


def test_only_the_gateway_service_accepts_the_ingress_gateway() -> None:
    policy = _policies("dev")[(SERVICES_NAMESPACE, "allow-ingress-gateway-in")]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "gateway"}}
    source = policy["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert source == {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}


def test_services_reach_the_istio_control_plane_with_istio() -> None:
    (flow,) = [f for f in flows_for(SERVICES_NAMESPACE, config_for("dev")) if f.name == "allow-mesh-control-plane"]
    assert flow.peer.namespace == ISTIO_NAMESPACE


def test_services_reach_the_linkerd_control_plane_with_linkerd() -> None:
    config = config_for("dev", mesh={"provider": "linkerd"})
    (flow,) = [f for f in flows_for(SERVICES_NAMESPACE, config) if f.name == "allow-mesh-control-plane"]
    assert flow.peer.namespace == LINKERD_NAMESPACE


def test_vault_reaches_the_cloud_kms_only_where_there_is_one() -> None:
    on_cloud = {f.name for f in flows_for("vault", config_for("dev"))}
    existing = {f.name for f in flows_for("vault", config_for("local", cloud="existing"))}
    assert "allow-cloud-kms" in on_cloud
    assert "allow-cloud-kms" not in existing


def test_external_secrets_reaches_secrets_manager_only_with_that_backend() -> None:
    vault_backend = {f.name for f in flows_for("external-secrets", config_for("dev"))}
    aws_backend = {
        f.name for f in flows_for("external-secrets", config_for("dev", secrets={"backend": "aws-secrets-manager"}))
    }
    assert "allow-secrets-manager" not in vault_backend
    assert "allow-secrets-manager" in aws_backend


def test_the_api_server_reaches_every_security_webhook() -> None:
    policies = _policies()
    for namespace in ("gatekeeper-system", "external-secrets", "vault"):
        assert (namespace, "allow-webhook") in policies


def test_every_flow_states_its_reason() -> None:
    for flow in FLOWS:
        assert len(flow.reason) > 20, flow.name


def test_policy_names_are_unique_per_namespace() -> None:
    config = config_for("dev")
    namespaces = {f.namespace for f in FLOWS} - {ANY_NAMESPACE}
    for namespace in namespaces:
        names = [f.name for f in flows_for(namespace, config)]
        assert len(names) == len(set(names)), namespace


def test_each_policy_carries_its_reason_as_an_annotation() -> None:
    for (namespace, name), policy in _policies().items():
        assert policy["metadata"]["annotations"]["store-platform/reason"], (namespace, name)


@pytest.mark.parametrize("spec", SECURITY_NAMESPACES, ids=lambda s: s.name)
def test_security_namespaces_carry_their_pod_security_level(spec) -> None:
    labels = _namespaces()[spec.name]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == spec.pod_security


def test_only_node_agents_are_looser_than_restricted_and_say_why() -> None:
    """Falco, the mesh's CNI agent and the node-level monitoring agents touch the host."""
    looser = {
        name: ns["metadata"].get("annotations", {}).get("store-platform/pod-security-reason")
        for name, ns in _namespaces().items()
        if ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] != "restricted"
    }
    assert sorted(looser) == ["falco", "istio-cni", "monitoring-agents"]
    assert all(looser.values())


def test_the_services_namespace_is_restricted() -> None:
    labels = _namespaces()[SERVICES_NAMESPACE]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_cloud_identity_users_reach_the_node_identity_endpoint_only_on_a_cloud() -> None:
    on_cloud = {f.name for f in flows_for("vault", config_for("dev"))}
    existing = {f.name for f in flows_for("vault", config_for("local", cloud="existing"))}
    assert "allow-workload-identity" in on_cloud
    assert "allow-workload-identity" not in existing


def test_identity_endpoint_flow_opens_only_link_local_addresses() -> None:
    (flow,) = [f for f in flows_for("vault", config_for("dev")) if f.name == "allow-workload-identity"]
    assert all(cidr.startswith("169.254.") and cidr.endswith("/32") for cidr in flow.peer.cidrs)
