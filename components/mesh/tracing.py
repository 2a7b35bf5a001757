"""Where the mesh's proxies send spans: the collector the observability area runs, over OTLP/gRPC.

Both meshes export here; the address comes from `components.addresses` so the mesh and the
collector's Service cannot drift apart."""

from __future__ import annotations

from ..addresses import OTEL_COLLECTOR_GRPC, Endpoint

TRACES: Endpoint = OTEL_COLLECTOR_GRPC
