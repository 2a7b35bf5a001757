"""GitOps area: Argo CD with SSO, projects and notifications; Argo Rollouts; the ApplicationSet
that deploys the six services and the root Application."""

from .component import GitOps

__all__ = ["GitOps"]
