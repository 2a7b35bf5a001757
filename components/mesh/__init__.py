"""The service mesh area: Istio or Linkerd, chosen by `mesh.provider`."""

from .component import Mesh

__all__ = ["Mesh"]
