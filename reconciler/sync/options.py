"""What a ``reconciler sync`` agent is told to follow: :class:`SyncOptions`.

The CLI (reconciler/cli/sync_cmds.py) and :func:`~reconciler.sync.control.make_agent` build
it; :class:`~reconciler.sync.agent.SyncAgent` reads it. Plain values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SyncOptions:
    """Every knob of ``reconciler sync`` (seconds for times)."""

    url: str
    branch: str | None = "main"
    tag_pattern: str | None = None
    path: str | None = None
    interval: float = 60.0
    prune: bool = False
    keyring: Path | None = None  # set: --verify-signatures
    max_replace: int = 3
    max_delete: int = 10  # only with --prune: deletes are never planned without it
    parallelism: int = 10
    poll: float = 0.5

    @property
    def following(self) -> str:
        """What the agent follows, fit to print (``tags v1.*`` or ``branch main``)."""
        return f"tags {self.tag_pattern}" if self.tag_pattern \
            else f"branch {self.branch or 'main'}"
