"""Secret config keys: set with `pulumi config set --secret KEY`, read with Pulumi's secret API so
they stay encrypted in state and are never written out in plain text.

Every secret the program reads is declared here, so the render can list what a stack still
needs before `pulumi up`, and a missing one fails with the command that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .model import PlatformConfig


@dataclass(frozen=True)
class SecretKey:
    key: str
    purpose: str
    required_in: frozenset[str] = field(default_factory=frozenset)  # environments that cannot do without it
    # Also required wherever the stack turns on the feature that reads it.
    required_when: Callable[[PlatformConfig], bool] = lambda _: False

    def required_by(self, config: PlatformConfig) -> bool:
        return config.environment in self.required_in or self.required_when(config)


SECRET_KEYS: tuple[SecretKey, ...] = (
    SecretKey(
        "slackWebhookUrl",
        "Slack incoming webhook for alerts and deployment notifications",
        frozenset({"prod"}),
    ),
    SecretKey("pagerdutyRoutingKey", "PagerDuty Events v2 routing key for pages", frozenset({"prod"})),
    SecretKey(
        "argocdOidcClientSecret",
        "client secret of Argo CD at the OIDC identity provider (gitops.sso)",
        frozenset({"staging", "prod"}),
        required_when=lambda config: config.gitops.sso is not None,
    ),
)
