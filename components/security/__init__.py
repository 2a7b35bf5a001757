"""Secrets, admission policy, runtime security and network policy (issue 5)."""

from .component import Security

__all__ = ["Security"]
