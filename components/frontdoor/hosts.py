"""The platform's public hosts, named under the stack's zone (`dns.domain`): one place that the
certificates, the DNS records, the gateway's listeners and the service chart's values read."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import PlatformConfig


@dataclass(frozen=True)
class Host:
    role: str  # store | argocd | grafana
    name: str  # the fully qualified host name

    @property
    def tls_secret(self) -> str:
        """The Secret cert-manager writes the host's certificate to, beside the gateway pods."""
        return f"{self.name.replace('.', '-')}-tls"


def platform_hosts(config: PlatformConfig) -> list[Host]:
    """The store's public entry (the gateway service), Argo CD and Grafana, in that order."""
    domain = config.dns.domain
    return [
        Host("store", f"store.{domain}"),
        Host("argocd", config.gitops.domain),
        Host("grafana", f"grafana.{domain}"),
    ]


def store_host(config: PlatformConfig) -> Host:
    return platform_hosts(config)[0]
