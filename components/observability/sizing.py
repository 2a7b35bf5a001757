"""How big each of the observability stack's own pods is, per environment, in one table.

The values functions read their requests and replica counts from here, and `requested()`
adds them up: the platform's own footprint, which the playbook's weekly review compares with
what the services use. Memory limits are set (an OOM kill is local and visible); CPU limits
are not, so a busy Prometheus is throttled by contention rather than by a quota.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import PlatformConfig


@dataclass(frozen=True)
class PodSize:
    cpu_millicores: int
    memory_mib: int

    def resources(self) -> dict[str, dict[str, str]]:
        """The container `resources` block: these requests, and a memory limit of twice the request."""
        return {
            "requests": {"cpu": f"{self.cpu_millicores}m", "memory": f"{self.memory_mib}Mi"},
            "limits": {"memory": f"{2 * self.memory_mib}Mi"},
        }


@dataclass(frozen=True)
class Workload:
    size: PodSize
    replicas: int  # for a DaemonSet: pods per node
    per_node: bool = False


# Sizes by tier: dev and local small, staging in between, prod for real traffic. Prod's sum has
# to fit beside the other add-ons on the system pool (3 x 2 vCPU / 8 GiB at its minimum).
_TIER = {"local": 0, "dev": 0, "staging": 1, "prod": 2}
_SIZES: dict[str, tuple[PodSize, PodSize, PodSize]] = {
    "prometheus": (PodSize(200, 1024), PodSize(300, 2048), PodSize(500, 3072)),
    "alertmanager": (PodSize(10, 64), PodSize(20, 64), PodSize(50, 128)),
    "prometheus-operator": (PodSize(50, 128), PodSize(50, 128), PodSize(100, 256)),
    "kube-state-metrics": (PodSize(20, 64), PodSize(50, 128), PodSize(50, 256)),
    "node-exporter": (PodSize(20, 32), PodSize(20, 32), PodSize(20, 64)),
    "grafana": (PodSize(100, 256), PodSize(100, 256), PodSize(200, 512)),
    "loki": (PodSize(100, 256), PodSize(200, 512), PodSize(300, 1024)),  # single binary
    "loki-gateway": (PodSize(10, 32), PodSize(20, 64), PodSize(50, 64)),
    "loki-distributor": (PodSize(50, 128), PodSize(50, 128), PodSize(100, 256)),
    "loki-ingester": (PodSize(100, 256), PodSize(100, 512), PodSize(250, 1024)),
    "loki-querier": (PodSize(100, 256), PodSize(100, 256), PodSize(200, 512)),
    "loki-query-frontend": (PodSize(50, 128), PodSize(50, 128), PodSize(50, 128)),
    "loki-query-scheduler": (PodSize(20, 64), PodSize(20, 64), PodSize(20, 64)),
    "loki-index-gateway": (PodSize(50, 128), PodSize(50, 128), PodSize(50, 256)),
    "loki-compactor": (PodSize(50, 128), PodSize(50, 256), PodSize(100, 512)),
    "collector-gateway": (PodSize(100, 256), PodSize(100, 256), PodSize(200, 512)),
    "collector-agent": (PodSize(50, 128), PodSize(50, 128), PodSize(50, 192)),
    "tempo": (PodSize(100, 256), PodSize(100, 512), PodSize(250, 1024)),
    "jaeger": (PodSize(100, 256), PodSize(100, 512), PodSize(250, 1024)),
    "sloth": (PodSize(10, 64), PodSize(10, 64), PodSize(20, 128)),
}
# Loki's scalable (distributed) targets; the single binary runs instead on filesystem storage.
LOKI_TARGETS = (
    "distributor",
    "ingester",
    "querier",
    "query-frontend",
    "query-scheduler",
    "index-gateway",
    "compactor",
)


def size(config: PlatformConfig, workload: str) -> PodSize:
    return _SIZES[workload][_TIER[config.environment]]


def replicas(config: PlatformConfig, workload: str) -> int:
    """Two of everything that can run twice in prod; ingesters three, Loki's replication factor."""
    if not config.is_prod:
        return 1
    if workload == "loki-ingester":
        return 3
    singletons = {"prometheus-operator", "kube-state-metrics", "grafana", "tempo", "jaeger", "sloth", "loki-compactor"}
    return 1 if workload in singletons else 2


def workloads(config: PlatformConfig, object_storage: bool) -> dict[str, Workload]:
    """Every pod the observability area runs for `config`: Loki scalable on object storage,
    the chosen trace backend only."""
    names = [
        "prometheus",
        "alertmanager",
        "prometheus-operator",
        "kube-state-metrics",
        "grafana",
        "loki-gateway",
        "collector-gateway",
        config.observability.tracing,
        "sloth",
    ]
    names += [f"loki-{target}" for target in LOKI_TARGETS] if object_storage else ["loki"]
    result = {name: Workload(size(config, name), replicas(config, name)) for name in names}
    for daemon in ("node-exporter", "collector-agent"):
        result[daemon] = Workload(size(config, daemon), 1, per_node=True)
    return result


@dataclass(frozen=True)
class Requested:
    cpu_millicores: int
    memory_mib: int


def requested(config: PlatformConfig, object_storage: bool) -> Requested:
    """The sum of the requests the observability area sets, with DaemonSets on the node pools'
    minimum node count (what the cluster runs when idle)."""
    pools = config.cluster.node_pools
    nodes = pools.system.min + pools.workloads.min
    cpu = memory = 0
    for workload in workloads(config, object_storage).values():
        pods = workload.replicas * (nodes if workload.per_node else 1)
        cpu += pods * workload.size.cpu_millicores
        memory += pods * workload.size.memory_mib
    return Requested(cpu, memory)
