"""Admission: every object, workload and pod the platform creates passes its own Gatekeeper
constraints at the enforcement each constraint carries (the stack's `policy.enforcement`).

What the validating webhook reviews:
- each object as applied (a bare Pod only as created, below);
- each workload an ExpansionTemplate covers, as the object it generates (a Deployment as its
  Pod): Gatekeeper denies the workload for what its pods would be denied;
- each pod as the API server creates it, after the mutating webhooks (the mesh's sidecars).

A violation is a finding only where it is a denial at the webhook: `deny`, or `scoped` with
`deny` at `validation.gatekeeper.sh`; an ExpansionTemplate's own action overrides for what it
generates. Webhook-exempt namespaces (selectors, Config) are not reviewed at all.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ..context import Platform
from ..findings import Finding
from ..gatekeeper import IGNORE_LABEL, Constraint, Expansion, Gatekeeper, Review, match_applies
from ..objects import ObjectSet
from ..rego import evaluate, project

FIX = (
    "set what the constraint requires in the chart values or manifest; where the add-on needs it by "
    "design, exclude its namespace from that constraint with the reason (components/security/gatekeeper.py)"
)

# (what a finding names, how it reached the webhook, the review, the expansion that generated it)
Case = tuple[str, str, Review, Expansion | None]


def check(platform: Platform) -> list[Finding]:
    gatekeeper = Gatekeeper.of(platform.objects)
    if gatekeeper is None:
        return []
    return _ignore_label_findings(gatekeeper, platform.objects) + _constraint_findings(gatekeeper, platform)


def cases(gatekeeper: Gatekeeper, platform: Platform) -> list[Case]:
    """Every review the validating webhook receives for the platform's objects and pods."""
    objects = platform.objects
    found: list[Case] = []
    for obj in objects:
        if obj.kind == "Pod" and obj.group == "":
            continue  # reviewed as created, with what the mesh injects
        review = Review.of(obj.body, obj.namespace)
        found.append((obj.describe(), "", review, None))
        for expansion in gatekeeper.expansions:
            if expansion.applies_to(review) and (generated := expansion.expand(review)) is not None:
                found.append(
                    (obj.describe(), f"as expanded by ExpansionTemplate {expansion.obj.name}", generated, expansion)
                )
    for pod in platform.pods:
        what = "its pods as created, with the mesh's injection" if pod.injected else "its pods as created"
        found.append((pod.owner.describe(), what, Review.of(pod.as_object(), pod.namespace), None))
    return [c for c in found if gatekeeper.webhook_reviews(c[2], objects)]


def _constraint_findings(gatekeeper: Gatekeeper, platform: Platform) -> list[Finding]:
    objects = platform.objects
    reviewed = cases(gatekeeper, platform)
    findings: list[Finding] = []
    jobs: list[tuple[Constraint, list[Case]]] = []
    for constraint in gatekeeper.constraints:
        matched = [
            c
            for c in reviewed
            if constraint.denies_at_webhook(c[3])
            and match_applies(constraint.obj.spec.get("match") or {}, c[2], objects)
        ]
        if not matched:
            continue
        template = gatekeeper.templates.get(constraint.obj.kind)
        if template is None or template.policy is None:
            why = "has no ConstraintTemplate" if template is None else f"has only {template.engines} code, no Rego"
            findings.append(
                Finding("admission", constraint.label, f"cannot be evaluated: it {why}", "vendor a template with Rego")
            )
            continue
        jobs.append((constraint, matched))
    verdicts = _violations(gatekeeper, objects, jobs)
    # One finding per object, constraint and message, however many ways it reached the webhook.
    ways: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for (constraint, matched), outcome in zip(jobs, verdicts, strict=True):
        if isinstance(outcome, str):
            findings.append(
                Finding(
                    "admission",
                    constraint.label,
                    f"its template's Rego cannot be evaluated: {outcome[:300]}",
                    "fix or re-vendor the template",
                )
            )
            continue
        for (subject, way, _, _), violations in zip(matched, outcome, strict=True):
            for violation in violations:
                ways[(subject, constraint.label, str(violation.get("msg", violation)))].add(way)
    for (subject, label, message), how in ways.items():
        via = "; ".join(sorted(w for w in how if w))
        rule = f"denied by constraint {label}: {message}" + (f" ({via})" if via else "")
        findings.append(Finding("admission", subject, rule, FIX))
    return findings


def _violations(gatekeeper: Gatekeeper, objects: ObjectSet, jobs: list[tuple[Constraint, list[Case]]]) -> list[Any]:
    """Each constraint's violations per case (or the evaluator's error), one query per template;
    equal inputs (a pod with nothing injected is also its workload's expansion) are evaluated once."""
    distinct: dict[str, dict[str, int]] = defaultdict(dict)  # template kind -> input (JSON) -> position
    rows: list[list[int]] = []
    for constraint, matched in jobs:
        policy = gatekeeper.templates[constraint.obj.kind].policy
        assert policy is not None
        keep = policy.names() | _strings(constraint.parameters)
        inputs = distinct[constraint.obj.kind]
        row = []
        for _, _, review, _ in matched:
            document = json.dumps(_input(review, project(review.body, keep), constraint.parameters), sort_keys=True)
            row.append(inputs.setdefault(document, len(inputs)))
        rows.append(row)
    batches = []
    for kind, inputs in distinct.items():
        policy = gatekeeper.templates[kind].policy
        assert policy is not None
        data = gatekeeper.inventory(objects) if "data.inventory" in policy.rego else {}
        batches.append((policy, data, [json.loads(d) for d in inputs]))
    results = dict(zip(distinct, evaluate(batches), strict=True))
    out: list[Any] = []
    for (constraint, _), row in zip(jobs, rows, strict=True):
        result = results[constraint.obj.kind]
        out.append(result if isinstance(result, str) else [result[n] for n in row])
    return out


def _input(review: Review, obj: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Gatekeeper's input document: the AdmissionRequest of a CREATE, and the constraint's parameters."""
    request = {
        "kind": {"group": review.group, "version": review.version, "kind": review.kind},
        "name": review.name,
        "operation": "CREATE",
        "object": obj,
        "oldObject": None,
        "dryRun": False,
    }
    if review.namespace:
        request["namespace"] = review.namespace
    return {"review": request, "parameters": parameters}


def _strings(value: Any) -> frozenset[str]:
    """Every key and string in the parameters: a template reads fields they name (probes, resources)."""
    if isinstance(value, dict):
        return frozenset(value).union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return frozenset().union(*(_strings(v) for v in value))
    return frozenset({value}) if isinstance(value, str) else frozenset()


def _ignore_label_findings(gatekeeper: Gatekeeper, objects: ObjectSet) -> list[Finding]:
    """Gatekeeper refuses a namespace carrying its ignore label unless its flags exempt it."""
    return [
        Finding(
            "admission",
            ns.describe(),
            f"carries {IGNORE_LABEL}, which Gatekeeper's label webhook refuses: no --exempt-namespace covers it",
            "add the namespace to the chart's controllerManager.exemptNamespaces, or drop the label",
        )
        for ns in objects.namespaces.values()
        if IGNORE_LABEL in ns.labels and not gatekeeper.may_ignore(ns.name)
    ]
