"""Linkerd: CRDs (`linkerd-crds`), the CNI plugin (`linkerd2-cni`) and the control plane
(`linkerd-control-plane`), with the identity trust anchor and issuer made here by pulumi-tls.

Keys: the trust anchor's private key lives only in Pulumi state (a secret output); the issuer's
key goes into the `linkerd-identity-issuer` Secret the identity controller mounts
(`identity.externalCA` with issuer scheme `kubernetes.io/tls`), and the anchor's certificate
into the `linkerd-identity-trust-roots` ConfigMap. No key or certificate is in Helm values.
See https://linkerd.io/2/tasks/automatically-rotating-control-plane-tls-credentials/.

Why the CNI plugin: otherwise every meshed pod carries `linkerd-init` with NET_ADMIN and NET_RAW,
which Pod Security `restricted` refuses; with `cniEnabled` the control plane and the services'
pods run restricted and only the plugin's namespace is privileged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..cluster import ClusterInfo, Placement
from ..config import PlatformConfig
from ..kube import helm_release, namespace
from ..pki import CA_USES, self_signed_ca, signed_certificate
from .tracing import TRACES

CONTROL_PLANE_NAMESPACE = "linkerd"
CNI_NAMESPACE = "linkerd-cni"
TRUST_DOMAIN = "cluster.local"
ISSUER_SECRET = "linkerd-identity-issuer"  # names the chart's identity controller reads
TRUST_ROOTS_CONFIGMAP = "linkerd-identity-trust-roots"
# Namespaces the injector and validators must not act on (Linkerd's own, to avoid deadlocks).
WEBHOOKS_DISABLED = {"config.linkerd.io/admission-webhooks": "disabled"}

# The anchor is replaced deliberately (every proxy must trust the new one first), so it is
# long-lived and never renewed by a routine `pulumi up`. The issuer is re-issued by the first
# `pulumi up` in its last 30 days; the identity controller reloads it from the Secret.
TRUST_ANCHOR_HOURS = 10 * 365 * 24
ISSUER_HOURS = 365 * 24
ISSUER_RENEWAL_HOURS = 30 * 24


def control_plane_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    ha = config.is_prod
    collector = {"endpoint": f"{TRACES.host}:{TRACES.port}"}
    # The chart refuses proxy tracing without the collector's mesh identity: its ServiceAccount,
    # which the collector chart names after its fullname, the Service's name.
    proxy_collector = {
        **collector,
        "meshIdentity": {"serviceAccountName": TRACES.service, "namespace": TRACES.namespace},
    }
    return {
        "cniEnabled": True,
        "identityTrustDomain": TRUST_DOMAIN,
        "identity": {"externalCA": True, "issuer": {"scheme": "kubernetes.io/tls"}},
        # Prod follows upstream's HA values: three replicas spread by anti-affinity, PDBs, and
        # pods refused rather than started unmeshed while the injector is unavailable.
        "controllerReplicas": 3 if ha else 1,
        "enablePodAntiAffinity": ha,
        "enablePodDisruptionBudget": ha,
        "webhookFailurePolicy": "Fail" if ha else "Ignore",
        "controllerLogFormat": "json",
        "proxy": {"logFormat": "json", "tracing": {"enabled": True, "collector": proxy_collector}},
        "controller": {"tracing": {"enabled": True, "collector": collector}},
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }


def cni_values(config: PlatformConfig) -> dict[str, Any]:
    # The plugin's DaemonSet tolerates every taint by default: it must run on every node.
    if config.cloud == "gcp":
        return {"destCNIBinDir": "/home/kubernetes/bin"}  # where GKE nodes keep CNI binaries
    return {}


@dataclass(frozen=True)
class Identity:
    trust_anchor_pem: pulumi.Output[str]
    issuer_cert_pem: pulumi.Output[str]
    issuer_key_pem: pulumi.Output[str]  # a secret output


def identity_certificates(name: str, config: PlatformConfig, parent: pulumi.Resource) -> Identity:
    # Replacing the anchor by accident would cut every proxy off from every other: prod protects it.
    anchor = self_signed_ca(
        f"{name}-trust-anchor",
        f"root.linkerd.{TRUST_DOMAIN}",
        validity_hours=TRUST_ANCHOR_HOURS,
        opts=pulumi.ResourceOptions(parent=parent, protect=config.is_prod),
    )
    # The issuer signs the proxies' workload certificates, never another CA.
    issuer = signed_certificate(
        f"{name}-issuer",
        anchor,
        f"identity.linkerd.{TRUST_DOMAIN}",
        validity_hours=ISSUER_HOURS,
        renewal_hours=ISSUER_RENEWAL_HOURS,
        allowed_uses=CA_USES,
        intermediate_ca=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return Identity(anchor.cert_pem, issuer.cert_pem, issuer.private_key_pem)


@dataclass(frozen=True)
class Linkerd:
    namespaces: dict[str, k8s.core.v1.Namespace]
    crds: list[pulumi.Resource]


def install_linkerd(name: str, config: PlatformConfig, cluster: ClusterInfo, parent: pulumi.Resource) -> Linkerd:
    control_ns = namespace(
        f"{name}-ns",
        CONTROL_PLANE_NAMESPACE,
        cluster,
        pod_security="restricted",
        reason="",
        labels={**WEBHOOKS_DISABLED, "linkerd.io/is-control-plane": "true"},
        parent=parent,
    )
    cni_ns = namespace(
        f"{name}-cni-ns",
        CNI_NAMESPACE,
        cluster,
        pod_security="privileged",
        reason="Linkerd CNI plugin: hostPath CNI directories on every node, so that meshed workloads "
        "need no linkerd-init container with NET_ADMIN/NET_RAW",
        labels=WEBHOOKS_DISABLED,
        parent=parent,
    )
    k8s_opts = pulumi.ResourceOptions(parent=parent, provider=cluster.provider)
    identity = identity_certificates(name, config, parent)
    issuer = k8s.core.v1.Secret(
        f"{name}-issuer-secret",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=ISSUER_SECRET, namespace=control_ns.metadata.name),
        type="kubernetes.io/tls",
        string_data={
            "tls.crt": identity.issuer_cert_pem,
            "tls.key": identity.issuer_key_pem,
            "ca.crt": identity.trust_anchor_pem,
        },
        opts=k8s_opts,
    )
    trust_roots = k8s.core.v1.ConfigMap(
        f"{name}-trust-roots",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=TRUST_ROOTS_CONFIGMAP, namespace=control_ns.metadata.name),
        data={"ca-bundle.crt": identity.trust_anchor_pem},  # a certificate only: public by design
        opts=k8s_opts,
    )
    crds = helm_release(
        f"{name}-crds", "linkerd-crds", config, cluster, namespace=control_ns, values={}, parent=parent, runs_pods=False
    )
    cni = helm_release(
        f"{name}-cni", "linkerd-cni", config, cluster, namespace=cni_ns, values=cni_values(config), parent=parent
    )
    # With cniEnabled the control plane's own pods rely on the plugin (upstream: install it first).
    helm_release(
        f"{name}-control-plane",
        "linkerd-control-plane",
        config,
        cluster,
        namespace=control_ns,
        values=control_plane_values(config, cluster.system_placement),
        parent=parent,
        depends_on=[crds, cni, issuer, trust_roots],
    )
    return Linkerd(namespaces={CONTROL_PLANE_NAMESPACE: control_ns, CNI_NAMESPACE: cni_ns}, crds=[crds])
