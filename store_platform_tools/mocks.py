"""Pulumi mocks that stand in for the engine offline, and a monitor that records every
RegisterResource request exactly as the engine would receive it (parent, options included)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks, rpc

SECRET = "[secret]"
UNKNOWN = "[unknown]"
_SIG = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig
_RESOURCE_SIG = rpc._special_resource_sig
_ASSET_SIGS = {rpc._special_asset_sig, rpc._special_archive_sig}


def plain(value: Any) -> Any:
    """A wire value made readable and deterministic: secrets as [secret] (a secret map keeps its
    keys), unknowns as [unknown], resource references as their URN, whole numbers as ints (the
    wire has only doubles)."""
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            # A secret map (a Secret's data/stringData) keeps its keys, which are not secret, so
            # the object stays valid Kubernetes and checkable; every value is hidden.
            inner = value.get("value")
            return {k: SECRET for k in sorted(inner)} if isinstance(inner, dict) else SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn", UNKNOWN)
        if sig in _ASSET_SIGS:
            return {k: plain(v) for k, v in value.items() if k != _SIG}
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return UNKNOWN
    return value


def fake_id(type_: str, name: str) -> str:
    """A stable physical id: same resource, same id, on every run."""
    return f"{name}-{hashlib.sha256(f'{type_}/{name}'.encode()).hexdigest()[:8]}"


# What a cloud computes for a resource beyond its inputs (ARNs, endpoints, issuer URLs), by
# type token. Each cloud's module registers its own through `computed_outputs`.
ComputedOutputs = Callable[[str, dict[str, Any]], dict[str, Any]]
COMPUTED: dict[str, ComputedOutputs] = {}
# Answers to provider functions (invokes), by token.
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
# Where a provider's output differs in shape from its input (a list of ids that comes back as a
# map, say), by type token; applied in preview too, as the provider reshapes its preview state.
OutputShape = Callable[[dict[str, Any]], dict[str, Any]]
SHAPES: dict[str, OutputShape] = {}


def computed_outputs(type_: str) -> Callable[[ComputedOutputs], ComputedOutputs]:
    def register(fn: ComputedOutputs) -> ComputedOutputs:
        COMPUTED[type_] = fn
        return fn

    return register


def output_shape(type_: str) -> Callable[[OutputShape], OutputShape]:
    def register(fn: OutputShape) -> OutputShape:
        SHAPES[type_] = fn
        return fn

    return register


def call_result(token: str) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Any]:
    def register(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
        CALLS[token] = fn
        return fn

    return register


class PlatformMocks(mocks.Mocks):
    """Resources echo their inputs plus what the cloud would compute; in preview, only inputs
    (the engine reports everything else unknown, as a real preview of a new stack does)."""

    def __init__(self, preview: bool):
        self.preview = preview

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        shape = SHAPES.get(args.typ)
        state = shape(dict(args.inputs)) if shape else dict(args.inputs)
        if self.preview:
            return "", state
        computed = COMPUTED.get(args.typ)
        extra = computed(args.name, args.inputs) if computed else {}
        # A cloud whose ids are paths (GCP's projects/.../keyRings/...) computes its own.
        rid = str(extra.get("id") or fake_id(args.typ, args.name))
        return rid, {**state, **extra, "id": rid}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        fn = CALLS.get(args.token)
        if fn is None:
            raise NotImplementedError(
                f"no offline answer for provider function {args.token}; "
                "add one with store_platform_tools.mocks.call_result"
            )
        return fn(args.args), []  # no check failures (MockMonitor iterates this list)


class RecordingMonitor(mocks.MockMonitor):
    """Keeps every registration request as the engine would see it."""

    def __init__(self, mocks_: mocks.Mocks):
        super().__init__(mocks_)
        self.registrations: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                {
                    "urn": response.urn,
                    "type": request.type,
                    "name": request.name,
                    "parent": request.parent or None,
                    "dependencies": sorted(set(request.dependencies)),
                    # A provider reference is "<urn>::<id>"; the URN alone is stable across runs.
                    "provider": request.provider.rsplit("::", 1)[0] if request.provider else None,
                    "protect": request.protect if request.HasField("protect") else False,
                    "retainOnDelete": request.retainOnDelete if request.HasField("retainOnDelete") else False,
                    "ignoreChanges": sorted(request.ignoreChanges),
                    "inputs": plain(json_format.MessageToDict(request.object)),
                }
            )
        return response
