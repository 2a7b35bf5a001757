"""Grafana (the kube-prometheus-stack's subchart): data sources linked to each other, admin
credentials from a Secret, dashboards from labelled ConfigMaps, SSO ready to switch on."""

from __future__ import annotations

from typing import Any

from ..addresses import LOKI
from ..cluster import Placement
from ..config import PlatformConfig
from .sizing import size
from .tracing import TRACES_UID, trace_datasource

ADMIN_SECRET = "grafana-admin"
ADMIN_USER_KEY, ADMIN_PASSWORD_KEY = "admin-user", "admin-password"
# Created by whoever registers Grafana with the identity provider (client id and secret as
# GF_AUTH_GENERIC_OAUTH_* variables); optional, so Grafana starts without it.
SSO_SECRET = "grafana-sso"
# The sidecar loads every ConfigMap carrying this label as a dashboard.
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
PROMETHEUS_UID, LOKI_UID = "prometheus", "loki"


def loki_datasource() -> dict[str, Any]:
    """Loki, with each log line's `trace_id` (structured metadata) linked to its trace."""
    return {
        "name": "Loki",
        "uid": LOKI_UID,
        "type": "loki",
        "access": "proxy",
        "url": LOKI.url,
        "jsonData": {
            "derivedFields": [
                {
                    "name": "trace_id",
                    "matcherType": "label",
                    "matcherRegex": "trace_id",
                    "datasourceUid": TRACES_UID,
                    "url": "${__value.raw}",
                    "urlDisplayLabel": "View trace",
                }
            ]
        },
    }


def grafana_values(config: PlatformConfig, placement: Placement) -> dict[str, Any]:
    """The `grafana` section of the kube-prometheus-stack values."""
    return {
        "admin": {"existingSecret": ADMIN_SECRET, "userKey": ADMIN_USER_KEY, "passwordKey": ADMIN_PASSWORD_KEY},
        "sidecar": {
            "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"},
            "datasources": {
                # Prometheus exemplars carry the trace id: a click on one opens the trace.
                "exemplarTraceIdDestinations": {"datasourceUid": TRACES_UID, "traceIdLabelName": "trace_id"},
            },
        },
        "additionalDataSources": [loki_datasource(), trace_datasource(config)],
        "grafana.ini": {
            "analytics": {"reporting_enabled": False, "check_for_updates": False},
            "users": {"allow_sign_up": False},
            # SSO: set enabled to true and the provider's URLs; the client secret comes from SSO_SECRET.
            "auth.generic_oauth": {"enabled": False, "name": "SSO", "allow_sign_up": True, "use_pkce": True},
        },
        "envFromSecrets": [{"name": SSO_SECRET, "optional": True}],
        # Dashboards and data sources are provisioned from code and users come from SSO, so
        # there is nothing on disk worth keeping.
        "persistence": {"enabled": False},
        "resources": size(config, "grafana").resources(),
        "nodeSelector": placement.node_selector,
        "tolerations": placement.tolerations,
    }
