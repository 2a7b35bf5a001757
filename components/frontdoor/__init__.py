"""The front door: the platform's public hosts, their certificates (cert-manager) and, later in
this area, their DNS records and the Gateway that serves them."""

from .component import FrontDoor
from .hosts import Host, platform_hosts

__all__ = ["FrontDoor", "Host", "platform_hosts"]
