"""Observability: the monitoring namespace and everything in it, plus the node agents'
namespace, the SLOs in the services' namespace and the dashboards."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..addresses import MONITORING_NAMESPACE
from ..cluster import BucketReadWrite, ClusterInfo, ServiceAccountRef
from ..config import PlatformConfig, Secrets
from ..kube import helm_release, namespace
from ..mesh.metrics import request_metrics
from . import alerting, collector, dashboards, grafana, loki, slo, tracing
from .prometheus import kube_prometheus_stack_values

# Node agents (node exporter, log agent) read the host: hostPath, host network and PID. They get
# a namespace of their own so the monitoring namespace keeps a stricter Pod Security level.
AGENTS_NAMESPACE = "monitoring-agents"
_SECRET_FOR = {
    alerting.SLACK_WEBHOOK_KEY: "slackWebhookUrl",
    alerting.PAGERDUTY_KEY_KEY: "pagerdutyRoutingKey",
}


class Observability(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]
    monitoring_crds: pulumi.Resource

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        secrets: Secrets,
        cluster: ClusterInfo,
        services_namespace: k8s.core.v1.Namespace,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("store-platform:observability:Observability", name, None, opts)
        monitoring = namespace(
            f"{name}-ns",
            MONITORING_NAMESPACE,
            cluster,
            pod_security="baseline",
            reason="upstream charts (Tempo, Sloth, kube-state-metrics) do not set every field restricted requires",
            parent=self,
        )
        agents = namespace(
            f"{name}-agents-ns",
            AGENTS_NAMESPACE,
            cluster,
            pod_security="privileged",
            reason="node exporter and the log agent read the node: host network and PID, hostPath /var/log",
            parent=self,
        )
        self.namespaces = {MONITORING_NAMESPACE: monitoring, AGENTS_NAMESPACE: agents}
        self.monitoring_crds = helm_release(
            f"{name}-monitoring-crds",
            "prometheus-operator-crds",
            config,
            cluster,
            namespace=monitoring,
            values={},
            parent=self,
        )
        crds = [self.monitoring_crds]
        placement = cluster.system_placement

        available, receivers_secret = self._alert_receivers(name, config, secrets, cluster, monitoring)
        admin_secret = self._grafana_admin(name, cluster, monitoring)
        stack_values = kube_prometheus_stack_values(
            config,
            placement,
            cluster.storage_class,
            available,
            AGENTS_NAMESPACE,
            managed_control_plane=cluster.cloud != "existing",
        )
        helm_release(
            f"{name}-kube-prometheus-stack",
            "kube-prometheus-stack",
            config,
            cluster,
            namespace=monitoring,
            values=stack_values,
            parent=self,
            depends_on=[*crds, agents, admin_secret, *receivers_secret],
        )

        # Object storage where the issue asks for it: Loki from staging up, Tempo in prod.
        loki_bucket = (
            cluster.bucket(f"{name}-loki", "loki", self) if config.environment in ("staging", "prod") else None
        )
        loki_identity = (
            cluster.workload_identity(
                f"{name}-loki",
                ServiceAccountRef(MONITORING_NAMESPACE, loki.SERVICE_ACCOUNT),
                [BucketReadWrite(loki_bucket)],
                self,
            )
            if loki_bucket
            else None
        )
        helm_release(
            f"{name}-loki",
            "loki",
            config,
            cluster,
            namespace=monitoring,
            parent=self,
            values=loki.loki_values(
                config,
                placement,
                cluster.storage_class,
                loki_bucket,
                loki_identity.service_account_annotations if loki_identity else {},
                loki_identity.pod_labels if loki_identity else {},
            ),
        )

        backend = tracing.trace_backend_otlp(config)
        if config.observability.tracing == "tempo":
            tempo_bucket = cluster.bucket(f"{name}-tempo", "tempo", self) if config.is_prod else None
            tempo_identity = (
                cluster.workload_identity(
                    f"{name}-tempo",
                    ServiceAccountRef(MONITORING_NAMESPACE, tracing.TEMPO_SERVICE_ACCOUNT),
                    [BucketReadWrite(tempo_bucket)],
                    self,
                )
                if tempo_bucket
                else None
            )
            trace_values = tracing.tempo_values(
                config,
                placement,
                cluster.storage_class,
                tempo_bucket,
                tempo_identity.service_account_annotations if tempo_identity else {},
                tempo_identity.pod_labels if tempo_identity else {},
            )
        else:
            trace_values = tracing.jaeger_values(config, placement)
        helm_release(
            f"{name}-{config.observability.tracing}",
            config.observability.tracing,
            config,
            cluster,
            namespace=monitoring,
            values=trace_values,
            parent=self,
        )
        helm_release(
            f"{name}-otel-collector",
            "opentelemetry-collector",
            config,
            cluster,
            namespace=monitoring,
            values=collector.gateway_values(config, placement, f"{backend.host}:{backend.port}"),
            parent=self,
            depends_on=crds,
        )
        helm_release(
            f"{name}-otel-agent",
            "opentelemetry-collector",
            config,
            cluster,
            namespace=agents,
            values=collector.agent_values(config),
            parent=self,
            depends_on=crds,
        )

        sloth = helm_release(
            f"{name}-sloth",
            "sloth",
            config,
            cluster,
            namespace=monitoring,
            values=slo.sloth_values(config),
            parent=self,
            depends_on=crds,
        )
        metrics = request_metrics(config.mesh.provider)
        for service in config.services:
            k8s.apiextensions.CustomResource(
                f"{name}-slo-{service}",
                api_version="sloth.slok.dev/v1",
                kind="PrometheusServiceLevel",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=service, namespace=services_namespace.metadata.name),
                spec=slo.service_level_spec(config, service, metrics),
                opts=pulumi.ResourceOptions(
                    parent=self, provider=cluster.provider, depends_on=[sloth, services_namespace]
                ),
            )
        for board_name, board in dashboards.all_dashboards(metrics).items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{board_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{board_name}", namespace=monitoring.metadata.name, labels=grafana.DASHBOARD_LABEL
                ),
                data={f"{board_name}.json": dashboards.to_json(board)},
                opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
            )
        self.register_outputs({"namespaces": list(self.namespaces), "monitoringCrds": self.monitoring_crds.urn})

    def _alert_receivers(
        self,
        name: str,
        config: PlatformConfig,
        secrets: Secrets,
        cluster: ClusterInfo,
        monitoring: k8s.core.v1.Namespace,
    ) -> tuple[alerting.AvailableReceivers, list[k8s.core.v1.Secret]]:
        """The receivers whose credentials are set, and the Secret holding those credentials.

        Decided from whether each secret is set, never from its value, so no `apply`."""
        available = alerting.AvailableReceivers(
            slack=secrets.get("slackWebhookUrl") is not None,
            pagerduty=secrets.get("pagerdutyRoutingKey") is not None,
        )
        if not available.slack:
            # Required in prod (a config error there); elsewhere alerts go nowhere, said loudly.
            pulumi.log.warn(
                "slackWebhookUrl is not set: Alertmanager has no Slack receiver and routes alerts to null",
                resource=self,
            )
        values = {
            key: secrets.get(_SECRET_FOR[key]) for key in alerting.receiver_secret_keys(available, config.is_prod)
        }
        string_data = {key: value for key, value in values.items() if value is not None}
        if not string_data:
            return available, []
        secret = k8s.core.v1.Secret(
            f"{name}-alert-receivers",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=alerting.RECEIVERS_SECRET, namespace=monitoring.metadata.name),
            string_data=string_data,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        return available, [secret]

    def _grafana_admin(self, name: str, cluster: ClusterInfo, monitoring: k8s.core.v1.Namespace) -> k8s.core.v1.Secret:
        """A generated admin password, kept (encrypted) in the stack's state; nobody types it."""
        password = random.RandomPassword(
            f"{name}-grafana-admin-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        return k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=grafana.ADMIN_SECRET, namespace=monitoring.metadata.name),
            string_data={grafana.ADMIN_USER_KEY: "admin", grafana.ADMIN_PASSWORD_KEY: password.result},
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
