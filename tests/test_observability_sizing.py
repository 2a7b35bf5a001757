"""The observability area's own footprint: requests set in values, summed per environment."""

from __future__ import annotations

from components.cluster import Placement
from components.config import load_config
from components.observability.collector import gateway_values
from components.observability.loki import loki_values
from components.observability.prometheus import prometheus_spec
from components.observability.sizing import PodSize, requested, size, workloads

NOWHERE = Placement(node_selector={}, tolerations=[])


def _cfg(environment: str, **platform):
    return load_config({"cloud": "aws", **platform}, environment)


def test_values_request_what_the_sizing_table_says():
    config = _cfg("prod")
    assert prometheus_spec(config, NOWHERE, "gp3")["resources"] == size(config, "prometheus").resources()
    assert gateway_values(config, NOWHERE, "tempo:4317")["resources"] == size(config, "collector-gateway").resources()
    assert (
        loki_values(config, NOWHERE, "gp3", None, {}, {})["singleBinary"]["resources"]
        == size(config, "loki").resources()
    )


def test_memory_is_limited_and_cpu_is_not():
    resources = PodSize(100, 256).resources()
    assert resources["limits"] == {"memory": "512Mi"}


def test_object_storage_swaps_the_single_binary_for_the_distributed_targets():
    config = _cfg("prod")
    assert "loki" in workloads(config, object_storage=False)
    assert "loki" not in workloads(config, object_storage=True)
    assert "loki-ingester" in workloads(config, object_storage=True)


def test_only_the_chosen_trace_backend_counts():
    assert "jaeger" not in workloads(_cfg("dev"), object_storage=False)
    assert "jaeger" in workloads(_cfg("dev", observability={"tracing": "jaeger"}), object_storage=False)


def test_node_agents_count_once_per_node():
    small = _cfg("dev")
    bigger = _cfg("dev", cluster={"nodePools": {"workloads": {"min": 2}}})
    per_node = size(small, "node-exporter").cpu_millicores + size(small, "collector-agent").cpu_millicores
    assert (
        requested(bigger, object_storage=False).cpu_millicores - requested(small, object_storage=False).cpu_millicores
        == per_node
    )


def test_prod_requests_more_than_dev():
    dev, prod = requested(_cfg("dev"), object_storage=False), requested(_cfg("prod"), object_storage=True)
    assert prod.cpu_millicores > dev.cpu_millicores
    assert prod.memory_mib > dev.memory_mib
