"""The pin request: how ``sync rollback`` (and ``--unpin``) reaches a running agent.

``sync rollback`` writes ``<sync root>/pin-request.json`` atomically (:func:`hand_over`) and
sends SIGHUP; the agent takes the file on its next reconcile (:func:`take`), sets or clears the
pin in its :class:`~reconciler.sync.status.SyncStatus` and emits ``sync.pinned`` /
``sync.unpinned``. A request left while no agent runs waits for the next agent's start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from reconciler.sync.status import SyncStatus

PIN_REQUEST = "pin-request.json"


def hand_over(root: Path, request: dict[str, object]) -> None:
    """Leave ``request`` for the agent of ``root`` (written whole, then renamed)."""
    temp = root / f".{PIN_REQUEST}.tmp"
    temp.write_text(json.dumps(request))
    temp.replace(root / PIN_REQUEST)


def take(root: Path, status: SyncStatus, emit: Callable[..., None]) -> None:
    """Apply (and remove) the request left in ``root`` to ``status``; none: nothing."""
    path = root / PIN_REQUEST
    try:
        request = json.loads(path.read_text())
        path.unlink()
    except (OSError, ValueError):
        return
    if request.get("unpin"):
        status.pin = None
        emit("sync.unpinned", None, "unpinned by sync rollback --unpin")
    elif request.get("sha"):
        status.pin = {**request, "tip": status.tip}
        emit("sync.pinned", None, f"pinned to {str(request['sha'])[:12]} (sync rollback)",
             commit=request["sha"])
