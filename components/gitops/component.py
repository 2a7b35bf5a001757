"""GitOps: Argo CD, Argo Rollouts, the projects and the bootstrap objects of one environment."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import ARGO_ROLLOUTS_NAMESPACE, ARGOCD_NAMESPACE, IN_CLUSTER_API
from ..cluster import ClusterInfo
from ..config import PlatformConfig, Secrets
from ..kube import MANAGED_BY, RENDER_FILE_ANNOTATION, helm_release, namespace
from .argocd import NOTIFICATIONS_SECRET, OIDC_SECRET, OIDC_SECRET_KEY, SLACK_WEBHOOK_KEY, argocd_values
from .bootstrap import (
    APPLICATION_SET_NAME,
    ROOT_APPLICATION_NAME,
    application_set_spec,
    cluster_labels,
    root_application_spec,
)
from .projects import BOOTSTRAP_PROJECT, SERVICES_PROJECT, bootstrap_project, locked_default_project, services_project
from .rollouts import rollouts_values

ARGO_API = "argoproj.io/v1alpha1"
# Argo CD reads Secrets it is told about only when they carry its part-of label.
_ARGOCD_SECRET_LABELS = {"app.kubernetes.io/part-of": "argocd"}


class GitOps(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        secrets: Secrets,
        cluster: ClusterInfo,
        monitoring_crds: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`monitoring_crds`: the Prometheus Operator CRDs' release the charts' ServiceMonitors need."""
        super().__init__("store-platform:gitops:GitOps", name, None, opts)
        self._name, self._cluster = name, cluster
        argocd_ns = namespace(
            f"{name}-argocd-ns", ARGOCD_NAMESPACE, cluster, pod_security="restricted", reason="", parent=self
        )
        rollouts_ns = namespace(
            f"{name}-rollouts-ns", ARGO_ROLLOUTS_NAMESPACE, cluster, pod_security="restricted", reason="", parent=self
        )
        self.namespaces = {ARGOCD_NAMESPACE: argocd_ns, ARGO_ROLLOUTS_NAMESPACE: rollouts_ns}
        monitors = [monitoring_crds]

        chart_secrets = self._chart_secrets(config, secrets, argocd_ns)
        self.argocd = helm_release(
            f"{name}-argocd",
            "argo-cd",
            config,
            cluster,
            namespace=argocd_ns,
            values=argocd_values(
                config,
                cluster.system_placement,
                notifications=NOTIFICATIONS_SECRET in chart_secrets,
            ),
            parent=self,
            depends_on=[*chart_secrets.values(), *monitors],
        )
        self.rollouts = helm_release(
            f"{name}-rollouts",
            "argo-rollouts",
            config,
            cluster,
            namespace=rollouts_ns,
            values=rollouts_values(config, cluster.system_placement),
            parent=self,
            depends_on=monitors,
        )

        # gitops-bridge: the cluster Argo CD runs in, registered with the metadata the
        # ApplicationSet's cluster generator selects on and templates from.
        in_cluster = k8s.core.v1.Secret(
            f"{name}-cluster-secret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="in-cluster",
                namespace=argocd_ns.metadata.name,
                labels={"argocd.argoproj.io/secret-type": "cluster", **cluster_labels(config)},
            ),
            string_data={
                "name": "in-cluster",
                "server": IN_CLUSTER_API,
                "config": json.dumps({"tlsClientConfig": {"insecure": False}}),
            },
            opts=self._k8s_opts(),
        )

        # Projects and bootstrap objects are Argo CD custom resources: they wait for its CRDs.
        store = self._argo_object(f"{name}-store-project", "AppProject", SERVICES_PROJECT, services_project(config))
        bootstrap = self._argo_object(
            f"{name}-bootstrap-project", "AppProject", BOOTSTRAP_PROJECT, bootstrap_project(config)
        )
        # The `default` project exists once Argo CD's server has started: patched, not created.
        k8s.apiextensions.CustomResourcePatch(
            f"{name}-default-project",
            api_version=ARGO_API,
            kind="AppProject",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="default", namespace=ARGOCD_NAMESPACE, annotations={"pulumi.com/patchForce": "true"}
            ),
            spec=locked_default_project(),
            opts=self._k8s_opts(depends_on=[self.argocd]),
        )
        self._argo_object(
            f"{name}-services-appset",
            "ApplicationSet",
            APPLICATION_SET_NAME,
            application_set_spec(config),
            render_file="argo/applicationset.yaml",
            depends_on=[store, in_cluster],
        )
        # Pulumi is the one owner of this Application and of the ApplicationSet above; the root
        # Application syncs only what teams add under infra/argo/apps (docs/ownership.md).
        self._argo_object(
            f"{name}-root-app",
            "Application",
            ROOT_APPLICATION_NAME,
            root_application_spec(config),
            render_file="argo/application.yaml",
            depends_on=[bootstrap],
        )
        self.register_outputs({})

    def _chart_secrets(
        self, config: PlatformConfig, secrets: Secrets, argocd_ns: k8s.core.v1.Namespace
    ) -> dict[str, k8s.core.v1.Secret]:
        """The Secrets Argo CD's configuration refers to by name, each only where its feature is on."""
        found: dict[str, k8s.core.v1.Secret] = {}
        if config.gitops.sso is not None:
            client_secret = secrets.get("argocdOidcClientSecret")
            if client_secret is None:
                raise ValueError("gitops.sso needs the argocdOidcClientSecret secret (checked when config is read)")
            found[OIDC_SECRET] = self._secret("oidc-secret", OIDC_SECRET, argocd_ns, {OIDC_SECRET_KEY: client_secret})
        slack_webhook = secrets.get("slackWebhookUrl")
        if slack_webhook is not None:  # notifications are left out where no webhook is set
            found[NOTIFICATIONS_SECRET] = self._secret(
                "notifications-secret", NOTIFICATIONS_SECRET, argocd_ns, {SLACK_WEBHOOK_KEY: slack_webhook}
            )
        return found

    def _secret(
        self, role: str, secret_name: str, ns: k8s.core.v1.Namespace, data: dict[str, pulumi.Output[str]]
    ) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{self._name}-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=secret_name, namespace=ns.metadata.name, labels=_ARGOCD_SECRET_LABELS
            ),
            string_data=data,
            opts=self._k8s_opts(),
        )

    def _argo_object(
        self,
        resource_name: str,
        kind: str,
        object_name: str,
        spec: dict[str, Any],
        *,
        render_file: str | None = None,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=ARGO_API,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=object_name,
                namespace=ARGOCD_NAMESPACE,
                labels=MANAGED_BY,
                annotations={RENDER_FILE_ANNOTATION: render_file} if render_file else None,
            ),
            spec=spec,
            opts=self._k8s_opts(depends_on=[self.argocd, *(depends_on or [])]),
        )

    def _k8s_opts(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._cluster.provider, depends_on=depends_on)
