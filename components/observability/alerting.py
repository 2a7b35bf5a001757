"""Alertmanager's routing: who hears about what, per environment.

- Pages (SLO fast burns, `routing="page"`) and `severity="critical"` go to PagerDuty in prod and
  to the environment's Slack channel elsewhere.
- Tickets (SLO slow burns) and warnings go to the environment's Slack channel.
- The Watchdog (an always-firing heartbeat) and InfoInhibitor (a helper that only mutes info
  alerts) go to the null receiver: there is no heartbeat service yet.
- A critical alert silences the warnings of the same alert in the same namespace.

Receiver credentials are never in this config: the Slack webhook URL and the PagerDuty routing
key sit in a Kubernetes Secret that Alertmanager mounts (`alertmanagerSpec.secrets`), read
through `api_url_file` / `routing_key_file`. A receiver whose secret is not set is left out
and its alerts fall back to the null receiver (prod requires both secrets at config time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import PlatformConfig

RECEIVERS_SECRET = "alertmanager-receivers"  # Secret name, mounted by the operator under SECRETS_DIR
SECRETS_DIR = f"/etc/alertmanager/secrets/{RECEIVERS_SECRET}"
SLACK_WEBHOOK_KEY = "slack-webhook-url"
PAGERDUTY_KEY_KEY = "pagerduty-routing-key"

NULL, SLACK, PAGERDUTY = "null", "slack", "pagerduty"
# The labels the SLO alerts carry (see slo.py): one route per kind.
PAGE_LABELS = {"severity": "critical", "routing": "page"}
TICKET_LABELS = {"severity": "warning", "routing": "ticket"}


@dataclass(frozen=True)
class AvailableReceivers:
    """Which receivers have their secret set (known when the program runs, not inside apply)."""

    slack: bool
    pagerduty: bool


def alertmanager_config(config: PlatformConfig, available: AvailableReceivers) -> dict[str, Any]:
    """The Alertmanager configuration (the chart's `alertmanager.config`)."""
    slack = SLACK if available.slack else NULL
    pages = PAGERDUTY if config.is_prod and available.pagerduty else slack
    receivers: list[dict[str, Any]] = [{"name": NULL}]
    if available.slack:
        receivers.append(
            {
                "name": SLACK,
                "slack_configs": [
                    {
                        "api_url_file": f"{SECRETS_DIR}/{SLACK_WEBHOOK_KEY}",
                        "channel": config.observability.slack_channel,
                        "send_resolved": True,
                        "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                        "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                    }
                ],
            }
        )
    if available.pagerduty and config.is_prod:
        receivers.append(
            {
                "name": PAGERDUTY,
                "pagerduty_configs": [
                    {"routing_key_file": f"{SECRETS_DIR}/{PAGERDUTY_KEY_KEY}", "send_resolved": True}
                ],
            }
        )
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": slack,
            "group_by": ["alertname", "namespace", "sloth_service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"matchers": ['alertname=~"Watchdog|InfoInhibitor"'], "receiver": NULL},
                {"matchers": ['severity="critical"'], "receiver": pages, "repeat_interval": "1h"},
                {"matchers": ['routing="page"'], "receiver": pages, "repeat_interval": "1h"},
                {"matchers": ['severity=~"warning|info"'], "receiver": slack},
                {"matchers": ['routing="ticket"'], "receiver": slack},
            ],
        },
        # A firing critical makes the matching warning noise (same alert, same namespace).
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity=~"warning|info"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": receivers,
    }


def receiver_secret_keys(available: AvailableReceivers, is_prod: bool) -> list[str]:
    """The keys the receivers' Secret holds; PagerDuty's only where pages go to PagerDuty."""
    keys = [SLACK_WEBHOOK_KEY] if available.slack else []
    return keys + ([PAGERDUTY_KEY_KEY] if available.pagerduty and is_prod else [])


# --- certificates --------------------------------------------------------------------------
# Every certificate the platform's cert-manager issues (Vault's server certificate, Linkerd's
# identity issuer, the public hosts' certificates) is alerted on from cert-manager's metrics.
# cert-manager renews each `renewBefore` its expiry; these fire when it has not.
CERT_EXPIRY_WARNING_DAYS = 30
CERT_EXPIRY_CRITICAL_DAYS = 7
CERT_NOT_READY_FOR = "15m"
# cert-manager's ServiceMonitor keeps the target's labels (honorLabels false), so a certificate's
# own namespace is `exported_namespace`; `namespace` is cert-manager's.
_CERT = "exported_namespace, name"


def _expiry_rule(days: int, severity: str) -> dict[str, Any]:
    # Past the renewal time as well as within `days` of expiry: a certificate shorter-lived than
    # `days` (Linkerd's 48-hour issuer) alerts only once its renewal is overdue, a long-lived one
    # (renewed 30 days before expiry) as soon as it is within `days` of it.
    return {
        "alert": f"CertificateExpiresIn{days}Days",
        "expr": (
            f"(certmanager_certificate_expiration_timestamp_seconds - time() < {days} * 86400)"
            f" and on ({_CERT}) (certmanager_certificate_renewal_timestamp_seconds < time())"
        ),
        "for": "1h" if severity == "warning" else "10m",
        "labels": {"severity": severity},
        "annotations": {
            "summary": f"Certificate {{{{ $labels.exported_namespace }}}}/{{{{ $labels.name }}}} expires within "
            f"{days} days and cert-manager has not renewed it",
            "description": "Its status says why: kubectl -n {{ $labels.exported_namespace }} describe certificate "
            "{{ $labels.name }} (and its CertificateRequest, Issuer). Renew by hand: "
            "cmctl renew -n {{ $labels.exported_namespace }} {{ $labels.name }}.",
        },
    }


def certificate_alerts() -> dict[str, Any]:
    """PrometheusRule spec: a certificate close to expiry without renewal (30 days: warning,
    7 days: critical), and a certificate that is not Ready."""
    return {
        "groups": [
            {
                "name": "certificates",
                "rules": [
                    _expiry_rule(CERT_EXPIRY_WARNING_DAYS, "warning"),
                    _expiry_rule(CERT_EXPIRY_CRITICAL_DAYS, "critical"),
                    {
                        "alert": "CertificateNotReady",
                        "expr": f'max by ({_CERT}) (certmanager_certificate_ready_status{{condition!="True"}}) == 1',
                        "for": CERT_NOT_READY_FOR,
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "Certificate {{ $labels.exported_namespace }}/{{ $labels.name }} is not Ready",
                            "description": "cert-manager cannot issue or renew it; kubectl -n "
                            "{{ $labels.exported_namespace }} describe certificate {{ $labels.name }}.",
                        },
                    },
                ],
            }
        ]
    }
