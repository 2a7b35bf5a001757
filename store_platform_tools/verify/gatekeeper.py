"""Gatekeeper as the rendered objects set it up, and its rules for what a constraint reviews.

Read from the objects, never from the program's Python: the ConstraintTemplates and constraints,
the ExpansionTemplates, the `Config` resource's excluded namespaces, the chart's validating
webhook (its namespace and object selectors) and the controller's `--exempt-namespace*` flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .objects import KubeObject, ObjectSet, selector_matches
from .rego import Policy

CONSTRAINTS_GROUP = "constraints.gatekeeper.sh"
TARGET = "admission.k8s.gatekeeper.sh"
VALIDATION_WEBHOOK = "validation.gatekeeper.sh"  # also the webhook's enforcement point name
IGNORE_LABEL = "admission.gatekeeper.sh/ignore"


def wildcard_matches(pattern: str, value: str) -> bool:
    """Gatekeeper's namespace and name globs: `kube-*` is a prefix, `*-system` a suffix."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


@dataclass(frozen=True)
class Review:
    """One object as the validating webhook receives it (after every mutating webhook)."""

    body: dict[str, Any]
    group: str
    version: str
    kind: str
    namespace: str | None

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name", ""))

    @property
    def labels(self) -> dict[str, str]:
        return (self.body.get("metadata") or {}).get("labels") or {}

    @property
    def is_namespace(self) -> bool:
        return self.kind == "Namespace" and self.group == ""

    @classmethod
    def of(cls, body: dict[str, Any], namespace: str | None) -> Review:
        api_version = str(body.get("apiVersion", ""))
        group, _, version = api_version.rpartition("/")
        return cls(body, group, version, str(body.get("kind", "")), namespace)


def match_applies(match: dict[str, Any], review: Review, objects: ObjectSet) -> bool:
    """A constraint's `spec.match` against one review: every criterion given must hold."""
    kinds = match.get("kinds") or []
    if kinds and not any(
        (not k.get("kinds") or "*" in k["kinds"] or review.kind in k["kinds"])
        and (not k.get("apiGroups") or "*" in k["apiGroups"] or review.group in k["apiGroups"])
        for k in kinds
    ):
        return False
    namespaced = bool(review.namespace) and not review.is_namespace
    scope = match.get("scope", "*")
    if (scope == "Cluster" and namespaced) or (scope == "Namespaced" and not namespaced):
        return False
    # A Namespace is matched by its own name and labels; other cluster-scoped objects pass.
    namespace = review.name if review.is_namespace else review.namespace
    if namespace:
        included = match.get("namespaces") or []
        if included and not any(wildcard_matches(p, namespace) for p in included):
            return False
        if any(wildcard_matches(p, namespace) for p in match.get("excludedNamespaces") or []):
            return False
    if "labelSelector" in match and not selector_matches(match["labelSelector"] or {}, review.labels):
        return False
    if "namespaceSelector" in match and namespace:
        ns_labels = review.labels if review.is_namespace else objects.namespace_labels(namespace)
        if not selector_matches(match["namespaceSelector"] or {}, ns_labels):
            return False
    return not match.get("name") or wildcard_matches(match["name"], review.name)


@dataclass(frozen=True)
class Template:
    obj: KubeObject

    @property
    def kind(self) -> str:
        return str(((self.obj.spec.get("crd") or {}).get("spec") or {}).get("names", {}).get("kind", ""))

    def _target(self) -> dict[str, Any]:
        return next((t for t in self.obj.spec.get("targets") or [] if t.get("target") == TARGET), {})

    @cached_property
    def policy(self) -> Policy | None:
        """The template's Rego (legacy `rego` field or a `Rego` engine entry); None if it has only CEL."""
        target = self._target()
        if target.get("rego"):
            return Policy(target["rego"], tuple(target.get("libs") or ()))
        for code in target.get("code") or []:
            if code.get("engine") == "Rego" and (code.get("source") or {}).get("rego"):
                return Policy(code["source"]["rego"], tuple(code["source"].get("libs") or ()))
        return None

    @property
    def engines(self) -> list[str]:
        return [str(c.get("engine")) for c in self._target().get("code") or []]


@dataclass(frozen=True)
class Expansion:
    """An ExpansionTemplate: workloads of `apply_to` are also reviewed as the object at `source`."""

    obj: KubeObject

    def applies_to(self, review: Review) -> bool:
        return any(
            review.group in (a.get("groups") or [])
            and review.version in (a.get("versions") or [])
            and review.kind in (a.get("kinds") or [])
            for a in self.obj.spec.get("applyTo") or []
        )

    def expand(self, review: Review) -> Review | None:
        node: Any = review.body
        for key in str(self.obj.spec.get("templateSource", "")).split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return None
        gvk = self.obj.spec.get("generatedGVK") or {}
        group, version, kind = gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")
        metadata = {**(node.get("metadata") or {}), "namespace": review.namespace}
        metadata.setdefault("name", f"{review.name}-pod")
        body = {**node, "apiVersion": f"{group}/{version}" if group else version, "kind": kind, "metadata": metadata}
        return Review(body, group, version, kind, review.namespace)


@dataclass(frozen=True)
class Constraint:
    obj: KubeObject

    @property
    def label(self) -> str:
        return f"{self.obj.kind} {self.obj.name}"

    @property
    def parameters(self) -> dict[str, Any]:
        return self.obj.spec.get("parameters") or {}

    def denies_at_webhook(self, expansion: Expansion | None) -> bool:
        """Whether a violation is a denial at the validating webhook. An ExpansionTemplate's own
        `enforcementAction` overrides the constraint's for the objects it generates."""
        action = (expansion.obj.spec.get("enforcementAction") if expansion else None) or self.obj.spec.get(
            "enforcementAction", "deny"
        )
        if action != "scoped":
            return action == "deny"
        return any(
            scoped.get("action") == "deny"
            and any(p.get("name") in ("*", VALIDATION_WEBHOOK) for p in scoped.get("enforcementPoints") or [])
            for scoped in self.obj.spec.get("scopedEnforcementActions") or []
        )


@dataclass
class Gatekeeper:
    templates: dict[str, Template]  # by constraint kind
    constraints: list[Constraint]
    expansions: list[Expansion]
    webhook: dict[str, Any] | None  # the validating webhook entry; None if none is rendered
    excluded: list[str] = field(default_factory=list)  # Config: namespaces the webhook skips
    exempt: list[str] = field(default_factory=list)  # --exempt-namespace* flags, as globs
    sync_only: list[dict[str, str]] = field(default_factory=list)  # Config: what data.inventory holds

    @classmethod
    def of(cls, objects: ObjectSet) -> Gatekeeper | None:
        templates = {t.kind: t for t in map(Template, objects.of_kind("ConstraintTemplate"))}
        if not templates:
            return None
        webhooks = [
            w
            for config in objects.of_kind("ValidatingWebhookConfiguration")
            for w in config.body.get("webhooks") or []
            if w.get("name") == VALIDATION_WEBHOOK
        ]
        excluded: list[str] = []
        sync_only: list[dict[str, str]] = []
        for config in objects.of_kind("Config"):
            if config.group != "config.gatekeeper.sh":
                continue
            for entry in config.spec.get("match") or []:
                if {"*", "webhook"} & set(entry.get("processes") or []):
                    excluded += entry.get("excludedNamespaces") or []
            sync_only += (config.spec.get("sync") or {}).get("syncOnly") or []
        return cls(
            templates,
            [Constraint(o) for o in objects if o.group == CONSTRAINTS_GROUP],
            [Expansion(o) for o in objects.of_kind("ExpansionTemplate")],
            webhooks[0] if webhooks else None,
            excluded,
            _exempt_flags(objects),
            sync_only,
        )

    def webhook_reviews(self, review: Review, objects: ObjectSet) -> bool:
        """Whether the validating webhook is called for this object at all."""
        if self.webhook is None:
            return False
        if not any(_rule_covers(rule, review) for rule in self.webhook.get("rules") or []):
            return False
        namespace = review.name if review.is_namespace else review.namespace
        if namespace:
            if any(wildcard_matches(p, namespace) for p in self.excluded):
                return False
            ns_labels = review.labels if review.is_namespace else objects.namespace_labels(namespace)
            if not selector_matches(self.webhook.get("namespaceSelector") or {}, ns_labels):
                return False
        return selector_matches(self.webhook.get("objectSelector") or {}, review.labels)

    def may_ignore(self, namespace: str) -> bool:
        """Whether Gatekeeper lets this namespace carry the ignore label (its label webhook refuses others)."""
        return any(wildcard_matches(p, namespace) for p in self.exempt)

    def inventory(self, objects: ObjectSet) -> dict[str, Any]:
        """`data.inventory` as Gatekeeper's sync fills it: only the kinds the Config syncs."""
        synced = {(s.get("group", ""), s.get("version", ""), s.get("kind", "")) for s in self.sync_only}
        cluster: dict[str, Any] = {}
        namespaced: dict[str, Any] = {}
        for o in objects:
            review = Review.of(o.body, o.namespace)
            if (review.group, review.version, review.kind) not in synced:
                continue
            where = namespaced.setdefault(o.namespace, {}) if o.namespace else cluster
            where.setdefault(o.api_version, {}).setdefault(o.kind, {})[o.name] = o.body
        return {"inventory": {"cluster": cluster, "namespace": namespaced}}


def _rule_covers(rule: dict[str, Any], review: Review) -> bool:
    resource = review.kind.lower() + ("es" if review.kind.endswith("s") else "s")
    return (
        "CREATE" in (rule.get("operations") or [])
        and bool({"*", review.group} & set(rule.get("apiGroups") or []))
        and bool({"*", resource} & set(rule.get("resources") or []))
    )


def _exempt_flags(objects: ObjectSet) -> list[str]:
    """The controller's --exempt-namespace (exact), -prefix and -suffix flags, as globs."""
    globs = []
    for deployment in objects.of_kind("Deployment"):
        for container in deployment.spec.get("template", {}).get("spec", {}).get("containers") or []:
            args = [str(a) for a in container.get("args") or []]
            if "--operation=webhook" not in args:
                continue
            for arg in args:
                flag, _, value = arg.partition("=")
                if flag == "--exempt-namespace":
                    globs.append(value)
                elif flag == "--exempt-namespace-prefix":
                    globs.append(f"{value}*")
                elif flag == "--exempt-namespace-suffix":
                    globs.append(f"*{value}")
    return globs
