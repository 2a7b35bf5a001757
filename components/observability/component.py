"""Observability: the monitoring namespace and everything in it, plus the node agents'
namespace, the SLOs in the services' namespace and the dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..addresses import MONITORING_AGENTS_NAMESPACE, MONITORING_NAMESPACE
from ..catalogue import crd_file_url
from ..cluster import Bucket, BucketReadWrite, ClusterInfo, ServiceAccountRef
from ..config import PlatformConfig, Secrets
from ..kube import helm_release, namespace
from ..mesh.metrics import request_metrics
from . import alerting, collector, dashboards, grafana, loki, slo, tracing
from .prometheus import kube_prometheus_stack_values

# Node agents (node exporter, log agent) read the host: hostPath, host network and PID. They get
# a namespace of their own so the monitoring namespace keeps a stricter Pod Security level.
AGENTS_NAMESPACE = MONITORING_AGENTS_NAMESPACE


@dataclass(frozen=True)
class _ObjectStorage:
    bucket: Bucket | None
    annotations: Any  # the service account's identity annotations (an Output on a cloud)
    pod_labels: dict[str, str]


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
            # verify's pod-security check proves every pod here restricted, on every stack and
            # variant (the charts lacking a security context get restricted ones, hardening.py)
            pod_security="restricted",
            reason="",
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
            runs_pods=False,  # CRDs only: installs while the nodes come up
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

        # Expiry of every certificate cert-manager issues (the platform's and the public hosts').
        k8s.apiextensions.CustomResource(
            f"{name}-certificate-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="certificates", namespace=monitoring.metadata.name),
            spec=alerting.certificate_alerts(),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=crds),
        )

        # Object storage where the issue asks for it: Loki from staging up, Tempo in prod.
        logs = self._object_storage(
            name, "loki", loki.SERVICE_ACCOUNT, cluster, config.environment in ("staging", "prod")
        )
        helm_release(
            f"{name}-loki",
            "loki",
            config,
            cluster,
            namespace=monitoring,
            parent=self,
            values=loki.loki_values(
                config, placement, cluster.storage_class, logs.bucket, logs.annotations, logs.pod_labels
            ),
        )
        self._traces(name, config, cluster, monitoring, agents, crds)

        # Sloth's chart keeps its CRD in crds/, which Helm never upgrades: the program applies it
        # from the chart's source at the pinned version instead, so a Sloth bump upgrades it.
        sloth_crds = k8s.yaml.v2.ConfigFile(
            f"{name}-sloth-crds",
            file=crd_file_url("sloth", config),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        sloth = helm_release(
            f"{name}-sloth",
            "sloth",
            config,
            cluster,
            namespace=monitoring,
            values=slo.sloth_values(config),
            parent=self,
            depends_on=[*crds, sloth_crds],
            skip_crds=True,
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
                    parent=self, provider=cluster.provider, depends_on=[sloth_crds, sloth, services_namespace]
                ),
            )
        # The cluster layer's own add-ons (Karpenter on EKS), installed before the monitoring CRDs.
        for target in cluster.scrape_targets:
            k8s.apiextensions.CustomResource(
                f"{name}-monitor-{target.name}",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=target.name, namespace=target.namespace),
                spec={
                    "selector": {"matchLabels": target.selector},
                    "namespaceSelector": {"matchNames": [target.namespace]},
                    "endpoints": [{"port": target.port, "path": "/metrics"}],
                },
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=cluster.provider,
                    depends_on=[
                        *crds,
                        *([cluster.namespaces[target.namespace]] if target.namespace in cluster.namespaces else []),
                    ],
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

    def _object_storage(
        self, name: str, purpose: str, service_account: str, cluster: ClusterInfo, wanted: bool
    ) -> _ObjectStorage:
        """A bucket for `purpose` and the identity `service_account` reaches it with, where wanted
        and where the cluster has object storage (an existing cluster has none)."""
        bucket = cluster.bucket(f"{name}-{purpose}", purpose, self) if wanted else None
        if bucket is None:
            return _ObjectStorage(None, {}, {})
        identity = cluster.workload_identity(
            f"{name}-{purpose}",
            ServiceAccountRef(MONITORING_NAMESPACE, service_account),
            [BucketReadWrite(bucket)],
            self,
        )
        return _ObjectStorage(bucket, identity.service_account_annotations, identity.pod_labels)

    def _traces(
        self,
        name: str,
        config: PlatformConfig,
        cluster: ClusterInfo,
        monitoring: k8s.core.v1.Namespace,
        agents: k8s.core.v1.Namespace,
        crds: Sequence[pulumi.Resource],
    ) -> None:
        """The trace backend, the OTLP gateway in front of it, and the node log agents."""
        placement = cluster.system_placement
        if config.observability.tracing == "tempo":
            traces = self._object_storage(name, "tempo", tracing.TEMPO_SERVICE_ACCOUNT, cluster, config.is_prod)
            backend_values = tracing.tempo_values(
                config, placement, cluster.storage_class, traces.bucket, traces.annotations, traces.pod_labels
            )
        else:
            backend_values = tracing.jaeger_values(config, placement)
        helm_release(
            f"{name}-{config.observability.tracing}",
            config.observability.tracing,
            config,
            cluster,
            namespace=monitoring,
            values=backend_values,
            parent=self,
        )
        backend = tracing.trace_backend_otlp(config)
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
