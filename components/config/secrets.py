"""Secret config keys: set with `pulumi config set --secret KEY`, read with Pulumi's secret API so
they stay encrypted in state and are never written out in plain text.

Every secret the program reads is declared here, so the render can list what a stack still
needs before `pulumi up`, and a missing one fails with the command that fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SecretKey:
    key: str
    purpose: str
    required_in: frozenset[str] = field(default_factory=frozenset)  # environments that cannot do without it


SECRET_KEYS: tuple[SecretKey, ...] = (
    SecretKey(
        "slackWebhookUrl",
        "Slack incoming webhook for alerts and deployment notifications",
        frozenset({"prod"}),
    ),
    SecretKey("pagerdutyRoutingKey", "PagerDuty Events v2 routing key for pages", frozenset({"prod"})),
)
