"""WHERE commands run: local subprocesses, or SSH hosts (fabric, pooled)."""

from reconciler.transports.base import CommandResult, Transport

__all__ = ["CommandResult", "Transport"]
