"""Security: the secrets backend (Vault or AWS Secrets Manager behind External Secrets), admission
policy (Gatekeeper), runtime detection (Falco) and the namespace-wide NetworkPolicies of every
namespace the platform creates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addresses import EXTERNAL_SECRETS_NAMESPACE, FALCO_NAMESPACE, GATEKEEPER_NAMESPACE, VAULT_NAMESPACE
from ..cluster import ClusterInfo, KmsKeyUse, SecretsRead, ServiceAccountRef, WorkloadIdentity
from ..config import PlatformConfig, Secrets
from ..kube import MANAGED_BY, helm_release, namespace
from . import external_secrets, falco, gatekeeper, vault
from .namespaces import SECURITY_NAMESPACES
from .network_policy import namespace_policies
from .vault_tls import vault_tls


class Security(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(
        self,
        name: str,
        config: PlatformConfig,
        secrets: Secrets,
        cluster: ClusterInfo,
        namespaces: Mapping[str, k8s.core.v1.Namespace],
        monitoring_crds: pulumi.Resource,
        cert_manager: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`namespaces`: every namespace the other areas and the Platform created (name -> resource),
        for their NetworkPolicies; `monitoring_crds`: the release installing ServiceMonitor,
        PodMonitor and PrometheusRule, which the monitoring objects here wait for;
        `cert_manager`: the release installing cert-manager, which issues Vault's certificate."""
        super().__init__("store-platform:security:Security", name, None, opts)
        self._config, self._cluster = config, cluster
        self._monitoring = [monitoring_crds]
        self._cert_manager = [cert_manager]
        self.namespaces = {
            spec.name: namespace(
                f"{name}-{spec.name}-ns",
                spec.name,
                cluster,
                pod_security=spec.pod_security,
                reason=spec.reason,
                parent=self,
            )
            for spec in SECURITY_NAMESPACES
        }
        self._vault_ca: list[pulumi.Resource] = []  # the CA Secret the Vault ClusterSecretStore trusts
        self.vault = self._vault(name) if config.secrets.backend == "vault" else None
        self.external_secrets, self.cluster_secret_store = self._external_secrets(name)
        self.gatekeeper = self._gatekeeper(name)
        self.falco = self._falco(name, secrets)
        self.network_policies = [
            policy
            for ns_name, ns in sorted({**namespaces, **self.namespaces}.items())
            for policy in namespace_policies(f"{name}-{ns_name}", ns, ns_name, config, cluster, self)
        ]
        self.register_outputs({"namespaces": sorted(self.namespaces)})

    def _release(
        self, name: str, addon: str, ns: str, values: Any, depends_on: list[pulumi.Resource], protect: bool = False
    ) -> Any:
        return helm_release(
            f"{name}-{addon}",
            addon,
            self._config,
            self._cluster,
            namespace=self.namespaces[ns],
            values=values,
            parent=self,
            depends_on=depends_on,
            protect=protect,
        )

    def _vault(self, name: str) -> k8s.helm.v3.Release:
        config, cluster = self._config, self._cluster
        tls = vault_tls(f"{name}-vault-tls", cluster, self.namespaces[VAULT_NAMESPACE], self._cert_manager, self)
        self._vault_ca = [tls.ca_secret]
        key = cluster.kms_key(f"{name}-vault-unseal", "Vault auto-unseal", self)
        account = ServiceAccountRef(VAULT_NAMESPACE, vault.SERVICE_ACCOUNT)

        def values(seal: str | None, identity: WorkloadIdentity, annotations: dict[str, str]) -> dict[str, Any]:
            return vault.vault_values(
                config, cluster.system_placement, cluster.storage_class, seal, annotations, identity.pod_labels
            )

        if key is None:
            pulumi.log.warn(vault.shamir_procedure(config), resource=self)
            identity = WorkloadIdentity(service_account_annotations=pulumi.Output.from_input({}))
            seal: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        else:
            identity = cluster.workload_identity(f"{name}-vault-identity", account, [KmsKeyUse(key)], self)
            seal_type = key.seal_type
            seal = key.seal_config.apply(lambda parameters: vault.seal_stanza(seal_type, parameters))
        # Only the values wait for the key's parameters; which resources exist never depends on them.
        chart_values = pulumi.Output.all(seal, identity.service_account_annotations).apply(
            lambda args: values(args[0], identity, args[1])
        )
        # Protected in prod: removing the release would take the sealed store's only servers away.
        # The server certificate is waited for until Ready: its Secret exists before any pod
        # mounts it.
        return self._release(
            name,
            "vault",
            VAULT_NAMESPACE,
            chart_values,
            [tls.server_certificate, tls.ca_secret, *self._monitoring],
            protect=config.is_prod,
        )

    def _external_secrets(self, name: str) -> tuple[k8s.helm.v3.Release, k8s.apiextensions.CustomResource]:
        config, cluster = self._config, self._cluster
        if config.secrets.backend == "aws-secrets-manager":
            account = ServiceAccountRef(EXTERNAL_SECRETS_NAMESPACE, external_secrets.SERVICE_ACCOUNT)
            grants = [SecretsRead(external_secrets.secrets_manager_prefix(config))]
            annotations = cluster.workload_identity(f"{name}-eso-identity", account, grants, self)
            annotations_output = annotations.service_account_annotations
        else:
            annotations_output = pulumi.Output.from_input({})
        release = self._release(
            name,
            "external-secrets",
            EXTERNAL_SECRETS_NAMESPACE,
            annotations_output.apply(
                lambda a: external_secrets.external_secrets_values(config, cluster.system_placement, a)
            ),
            self._monitoring,
        )
        store = k8s.apiextensions.CustomResource(
            f"{name}-cluster-secret-store",
            api_version="external-secrets.io/v1",
            kind="ClusterSecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=external_secrets.CLUSTER_SECRET_STORE, labels=MANAGED_BY),
            spec=external_secrets.cluster_secret_store_spec(config),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=cluster.provider,
                # The operator's CRD and the CA it reads; not Vault itself, which may install in
                # parallel (the store reports Ready once Vault answers).
                depends_on=[release, *self._vault_ca],
            ),
        )
        return release, store

    def _gatekeeper(self, name: str) -> k8s.helm.v3.Release:
        config, cluster = self._config, self._cluster
        release = self._release(
            name, "gatekeeper", GATEKEEPER_NAMESPACE, gatekeeper.gatekeeper_values(config, cluster.system_placement), []
        )
        after_release = pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[release])
        templates = {
            template.kind: k8s.apiextensions.CustomResource(
                f"{name}-template-{template.kind.lower()}",
                api_version=template.document["apiVersion"],
                kind="ConstraintTemplate",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=template.document["metadata"]["name"],
                    labels=MANAGED_BY,
                    annotations={
                        **template.document["metadata"].get("annotations", {}),
                        "store-platform/source": f"gatekeeper-library {template.path}",
                    },
                ),
                spec=template.document["spec"],
                opts=after_release,
            )
            for template in gatekeeper.templates()
        }
        k8s.apiextensions.CustomResource(
            f"{name}-workload-expansion",
            api_version="expansion.gatekeeper.sh/v1beta1",
            kind="ExpansionTemplate",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="expand-workloads", labels=MANAGED_BY),
            spec=gatekeeper.workload_expansion(),
            opts=after_release,
        )
        for constraint in gatekeeper.constraints(config):
            k8s.apiextensions.CustomResource(
                f"{name}-constraint-{constraint.name}",
                api_version="constraints.gatekeeper.sh/v1beta1",
                kind=constraint.kind,
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=constraint.name, labels=MANAGED_BY, annotations={"store-platform/reason": constraint.reason}
                ),
                spec={
                    "enforcementAction": config.policy.enforcement,
                    "match": constraint.match,
                    **({"parameters": constraint.parameters} if constraint.parameters is not None else {}),
                },
                opts=pulumi.ResourceOptions(
                    parent=self, provider=cluster.provider, depends_on=[templates[constraint.kind]]
                ),
            )
        monitoring = pulumi.ResourceOptions(
            parent=self,
            provider=cluster.provider,
            depends_on=[self.namespaces[GATEKEEPER_NAMESPACE], *self._monitoring],
        )
        metadata = k8s.meta.v1.ObjectMetaArgs(name="gatekeeper", namespace=GATEKEEPER_NAMESPACE, labels=MANAGED_BY)
        k8s.apiextensions.CustomResource(
            f"{name}-gatekeeper-pod-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=metadata,
            spec=gatekeeper.metrics_pod_monitor(),
            opts=monitoring,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-gatekeeper-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=metadata,
            spec=gatekeeper.violation_alerts(config),
            opts=monitoring,
        )
        return release

    def _falco(self, name: str, secrets: Secrets) -> k8s.helm.v3.Release:
        config, cluster = self._config, self._cluster
        webhook = secrets.get("slackWebhookUrl")
        depends_on = list(self._monitoring)
        if webhook is not None:
            depends_on.append(
                k8s.core.v1.Secret(
                    f"{name}-falcosidekick-outputs",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=falco.SIDEKICK_SECRET, namespace=FALCO_NAMESPACE, labels=MANAGED_BY
                    ),
                    string_data={"SLACK_WEBHOOKURL": webhook},
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=cluster.provider, depends_on=[self.namespaces[FALCO_NAMESPACE]]
                    ),
                )
            )
        values = falco.falco_values(config, cluster.system_placement, slack=webhook is not None)
        return self._release(name, "falco", FALCO_NAMESPACE, values, depends_on)
