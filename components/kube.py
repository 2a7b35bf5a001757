"""The two building blocks of every add-on: a namespace with its Pod Security level, and a Helm
release of a catalogue chart on the cluster's provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from .catalogue import chart_for
from .cluster import ClusterInfo
from .config import PlatformConfig

PodSecurity = Literal["restricted", "baseline", "privileged"]
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "store-platform"}


def namespace(
    name: str,
    namespace_name: str,
    cluster: ClusterInfo,
    *,
    pod_security: PodSecurity,
    reason: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    parent: pulumi.Resource,
) -> k8s.core.v1.Namespace:
    """A namespace enforcing `pod_security`; anything looser than restricted states why."""
    if pod_security != "restricted" and not reason:
        raise ValueError(f"namespace {namespace_name}: Pod Security '{pod_security}' needs a reason")
    psa = {f"pod-security.kubernetes.io/{mode}": pod_security for mode in ("enforce", "audit", "warn")}
    annotations = {**(annotations or {}), **({"store-platform/pod-security-reason": reason} if reason else {})}
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace_name, labels={**MANAGED_BY, **psa, **(labels or {})}, annotations=annotations
        ),
        # A namespace needs only the API server (the provider waits for access to it), not nodes.
        opts=pulumi.ResourceOptions(parent=parent, provider=cluster.provider),
    )


def helm_release(
    name: str,
    addon: str,
    config: PlatformConfig,
    cluster: ClusterInfo,
    *,
    namespace: k8s.core.v1.Namespace,
    values: pulumi.Input[Mapping[str, Any]],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    timeout_seconds: int = 600,
    protect: bool = False,
    runs_pods: bool = True,
    skip_crds: bool = False,
) -> k8s.helm.v3.Release:
    """A release of catalogue chart `addon` at its pinned version.

    The namespace is passed as a resource so the release waits for it; `values` must hold no
    secret (secrets live in Kubernetes Secrets the chart references by name). It may be an Output
    where a value comes from a resource (a KMS key id, a workload identity's annotations).
    `protect` for a release whose removal loses data (prod's Vault). A release that `runs_pods`
    waits for the cluster's node pools and core add-ons; a CRD-only chart does not, so it
    installs while the nodes are still coming up. `skip_crds` where the program applies the chart's
    `crds/` itself (catalogue.CHART_CRD_FILES), so they are upgraded with the chart."""
    chart = chart_for(addon, config)
    oci = chart.repository.startswith("oci://")  # OCI charts are addressed by URL, without a repo
    return k8s.helm.v3.Release(
        name,
        k8s.helm.v3.ReleaseArgs(
            name=addon,
            chart=f"{chart.repository}/{chart.chart}" if oci else chart.chart,
            version=chart.version,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=namespace.metadata.name,
            values=values if isinstance(values, pulumi.Output) else dict(values),  # type: ignore[arg-type]
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=timeout_seconds,
            skip_crds=skip_crds or None,
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            provider=cluster.provider,
            depends_on=[namespace, *(cluster.ready if runs_pods else ()), *depends_on],
            protect=protect,
        ),
    )


def pvc_retention(config: PlatformConfig) -> dict[str, str]:
    """A StatefulSet's PVC retention: outside prod its volumes go with the release (uninstall
    deletes the claims, the storage class's Delete policy the disks), so destroy leaves nothing
    billed; prod keeps them (docs/destroy.md). Scaling down never deletes a claim."""
    return {"whenDeleted": "Retain" if config.is_prod else "Delete", "whenScaled": "Retain"}


# An object the render also writes as a plain YAML file at this path under its output folder
# (for teams that keep it in Git), e.g. "argo/applicationset.yaml".
RENDER_FILE_ANNOTATION = "store-platform/render-file"
