"""Every object is valid for the stack's Kubernetes version, every custom resource against its CRD.

Built-in kinds validate with kubernetes-validate's strict schemas (see kube_schemas); custom
resources against the served version of the CRD the full render installs (charts' crds/ and
templates; Gatekeeper's constraint CRDs from their ConstraintTemplates), their metadata against
ObjectMeta. The pods, as the API server creates them (mesh containers injected), validate too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema

from .. import cluster_baseline
from ..context import Platform
from ..crd_schema import CrdVersion, crd_index
from ..findings import Finding
from ..kube_schemas import definition_validator, validator
from ..pods import WORKLOAD_KINDS
from ..pss import Version, parse_version

CHECK = "schemas"
_MAX_ERRORS = 5  # per object: the first few say enough about the fix

# API groups whose CRDs the chart's *published* archive ships but an archive built from the
# chart's Git source lacks: external-secrets generates templates/crds at release
# (`make helm.generate`), and the offline archives are built from Git (charts-pkg/INDEX.tsv).
# Their CRs cannot be checked against a CRD offline; a CRD the render does install is still used.
CRDS_GENERATED_AT_RELEASE = {"external-secrets.io": "external-secrets"}


def check(platform: Platform) -> list[Finding]:
    version = parse_version(platform.config.cluster.kubernetes_version)
    crds = crd_index(platform.objects)
    findings: list[Finding] = []
    for obj in platform.objects:
        if obj.source != cluster_baseline.SOURCE:  # stand-ins for what the cloud provides
            findings += _object(obj.body, obj.describe(), version, crds)
    for pod in platform.pods:
        # a workload's pod without injected containers is its template, already checked with it;
        # an operator's pods (Prometheus, Alertmanager) have no template among the objects
        if pod.injected or pod.owner.kind not in WORKLOAD_KINDS | {"Pod"}:
            findings += _object(pod.as_object(), pod.describe(), version, crds)
    return findings


Crds = dict[tuple[str, str], dict[str, CrdVersion]]


def _object(body: dict[str, Any], subject: str, version: Version, crds: Crds) -> list[Finding]:
    api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
    group, _, ver = api_version.rpartition("/")
    crd = crds.get((group, kind))
    if crd is not None:
        return _custom(body, subject, version, ver, crd)
    builtin = validator(version, api_version, kind)
    if builtin is not None:
        return _errors(subject, builtin.iter_errors(body), f"not valid {kind} for Kubernetes {_v(version)}")
    if group in CRDS_GENERATED_AT_RELEASE:
        return []
    return [
        Finding(
            CHECK,
            subject,
            f"{api_version} {kind} is not built into Kubernetes {_v(version)} and no installed CRD defines it",
            "install the CRD (the chart's CRDs or the release that ships them) or fix apiVersion/kind",
        )
    ]


def _custom(
    body: dict[str, Any], subject: str, version: Version, ver: str, crd: dict[str, CrdVersion]
) -> list[Finding]:
    entry = crd.get(ver)
    if entry is None or not entry.served:
        served = sorted(v for v, e in crd.items() if e.served)
        return [
            Finding(
                CHECK,
                subject,
                f"version {ver} is not served by its CRD (served: {', '.join(served)})",
                "use a served apiVersion",
            )
        ]
    findings = _errors(
        subject,
        definition_validator(version, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").iter_errors(
            body.get("metadata") or {}
        ),
        "metadata not valid ObjectMeta",
        prefix="metadata",
    )
    if entry.schema is not None:
        findings += _errors(subject, entry.validator.iter_errors(body), "not valid per its CRD")
    return findings


def _errors(subject: str, errors: Iterable[jsonschema.ValidationError], rule: str, prefix: str = "") -> list[Finding]:
    found = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])[:_MAX_ERRORS]
    return [
        Finding(
            CHECK,
            subject,
            f"{rule}: {_path(prefix, e)}: {_short(e.message)}",
            "correct the field in the values or the program that sets it",
        )
        for e in found
    ]


def _path(prefix: str, error: jsonschema.ValidationError) -> str:
    parts = [prefix] if prefix else []
    parts += [f"[{p}]" if isinstance(p, int) else str(p) for p in error.absolute_path]
    return ".".join(parts).replace(".[", "[") or "(root)"


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _v(version: Version) -> str:
    return f"{version[0]}.{version[1]}"
