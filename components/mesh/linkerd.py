"""Linkerd: CRDs (`linkerd-crds`), the CNI plugin (`linkerd2-cni`) and the control plane
(`linkerd-control-plane`), with the identity trust anchor made here by pulumi-tls and the
identity issuer issued and rotated by cert-manager, Linkerd's documented setup
(https://linkerd.io/2/tasks/automatically-rotating-control-plane-tls-credentials/).

Keys: the trust anchor's key pair is in Pulumi state (a secret output) and in the
`linkerd-trust-anchor` Secret, read only by the CA Issuer of that name in the control plane's
namespace. The Certificate `linkerd-identity-issuer` (an intermediate CA, 48 hours, renewed 25
hours before expiry) writes the Secret of that name, which the identity controller reads with
issuer scheme `kubernetes.io/tls` and reloads when it changes. The anchor's certificate is in the
`linkerd-identity-trust-roots` ConfigMap (`identity.externalCA`), which the proxies trust. No key
or certificate is in Helm values.

Why the CNI plugin: otherwise every meshed pod carries `linkerd-init` with NET_ADMIN and NET_RAW,
which Pod Security `restricted` refuses; with `cniEnabled` the control plane and the services'
pods run restricted and only the plugin's namespace is privileged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import LINKERD_CNI_NAMESPACE
from ..cluster import ClusterInfo, Placement
from ..config import PlatformConfig
from ..kube import helm_release, namespace
from ..pki import IssuedCertificate, ca_issuer, issued_certificate, self_signed_ca
from .tracing import TRACES

CONTROL_PLANE_NAMESPACE = "linkerd"
CNI_NAMESPACE = LINKERD_CNI_NAMESPACE
TRUST_DOMAIN = "cluster.local"
ISSUER_SECRET = "linkerd-identity-issuer"  # names the chart's identity controller reads
TRUST_ROOTS_CONFIGMAP = "linkerd-identity-trust-roots"
TRUST_ANCHOR_ISSUER = "linkerd-trust-anchor"  # the CA Issuer and the Secret with the anchor's key pair
# Namespaces the injector and validators must not act on (Linkerd's own, to avoid deadlocks).
WEBHOOKS_DISABLED = {"config.linkerd.io/admission-webhooks": "disabled"}

# The anchor is replaced deliberately (every proxy must trust the new one first), so it is
# long-lived and never renewed by a routine `pulumi up`. The issuer is cert-manager's: Linkerd's
# documented lifetimes, so a leaked issuer key is useful for two days at most.
TRUST_ANCHOR_HOURS = 10 * 365 * 24
ISSUER_CERTIFICATE = IssuedCertificate(
    name=ISSUER_SECRET,
    namespace=CONTROL_PLANE_NAMESPACE,
    common_name=f"identity.linkerd.{TRUST_DOMAIN}",
    duration_hours=48,
    renew_before_hours=25,
    usages=("cert sign", "crl sign", "server auth", "client auth"),
    dns_names=(f"identity.linkerd.{TRUST_DOMAIN}",),
    is_ca=True,
)


PROXY_RESOURCES = {"cpu": {"request": "100m", "limit": "1"}, "memory": {"request": "20Mi", "limit": "250Mi"}}


def control_plane_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    ha = config.is_prod
    collector = {"endpoint": f"{TRACES.host}:{TRACES.port}"}
    # The chart refuses proxy tracing without the collector's identity: its service account is
    # named after the release (fullnameOverride), like its Service.
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
        "proxy": {
            "logFormat": "json",
            "tracing": {"enabled": True, "collector": proxy_collector},
            # Every injected proxy (and its network-validator init container) gets these: the
            # platform's policy requires requests and limits on every container of the services.
            # Upstream's HA sizing, with a one-core limit that matches the proxy's one worker.
            "resources": PROXY_RESOURCES,
        },
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
    trust_roots: k8s.core.v1.ConfigMap  # the anchor's certificate, trusted by every proxy
    issuer: k8s.apiextensions.CustomResource  # Ready once `linkerd-identity-issuer` holds a certificate


def identity(
    name: str,
    config: PlatformConfig,
    cluster: ClusterInfo,
    control_ns: k8s.core.v1.Namespace,
    cert_manager: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> Identity:
    """The trust anchor (Pulumi's), its CA Issuer and the identity issuer's Certificate (cert-manager's)."""
    # Replacing the anchor by accident would cut every proxy off from every other: prod protects it.
    anchor = self_signed_ca(
        f"{name}-trust-anchor",
        f"root.linkerd.{TRUST_DOMAIN}",
        validity_hours=TRUST_ANCHOR_HOURS,
        opts=pulumi.ResourceOptions(parent=parent, protect=config.is_prod),
    )
    anchor_issuer = ca_issuer(
        f"{name}-trust-anchor-issuer",
        anchor,
        issuer=TRUST_ANCHOR_ISSUER,
        namespace=control_ns,
        cluster=cluster,
        cert_manager=cert_manager,
        parent=parent,
    )
    issuer = issued_certificate(
        f"{name}-identity-issuer", ISSUER_CERTIFICATE, anchor_issuer, TRUST_ANCHOR_ISSUER, cluster, parent
    )
    trust_roots = k8s.core.v1.ConfigMap(
        f"{name}-trust-roots",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=TRUST_ROOTS_CONFIGMAP, namespace=control_ns.metadata.name),
        data={"ca-bundle.crt": anchor.cert_pem},  # a certificate only: public by design
        opts=pulumi.ResourceOptions(parent=parent, provider=cluster.provider),
    )
    return Identity(trust_roots, issuer)


@dataclass(frozen=True)
class Linkerd:
    namespaces: dict[str, k8s.core.v1.Namespace]
    crds: list[pulumi.Resource]


def install_linkerd(
    name: str,
    config: PlatformConfig,
    cluster: ClusterInfo,
    cert_manager: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> Linkerd:
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
    ident = identity(name, config, cluster, control_ns, cert_manager, parent)
    crds = helm_release(
        f"{name}-crds", "linkerd-crds", config, cluster, namespace=control_ns, values={}, parent=parent, runs_pods=False
    )
    cni = helm_release(
        f"{name}-cni", "linkerd-cni", config, cluster, namespace=cni_ns, values=cni_values(config), parent=parent
    )
    # With cniEnabled the control plane's own pods rely on the plugin (upstream: install it first).
    # The identity controller starts only once its issuer Secret is issued (the Certificate is
    # waited for until Ready).
    helm_release(
        f"{name}-control-plane",
        "linkerd-control-plane",
        config,
        cluster,
        namespace=control_ns,
        values=control_plane_values(config, cluster.system_placement),
        parent=parent,
        depends_on=[crds, cni, ident.issuer, ident.trust_roots],
    )
    return Linkerd(namespaces={CONTROL_PLANE_NAMESPACE: control_ns, CNI_NAMESPACE: cni_ns}, crds=[crds])
