"""reconciler: declarative, GitOps-style reconciliation of processes, containers and hosts."""

__version__ = "0.1.0"

__all__ = ["__version__"]
