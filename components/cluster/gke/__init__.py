"""GKE: a regional, private, hardened cluster. One module per concern: network, keys,
control plane, node pools, facilities; `cluster.GkeCluster` puts them together."""

from .cluster import GkeCluster

__all__ = ["GkeCluster"]
