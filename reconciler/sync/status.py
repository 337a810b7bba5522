"""What the sync agent knows between runs: ``<state_dir>/sync/status.json``, and its lock.

:class:`SyncStatus` is the agent's own small record (the state database keeps the resources,
runs and audit journal as for every apply): the repository and ref followed, the synced commit
(the last one applied in full), the commit being applied, the last error (naming its commit),
the recent synced commits (newest last, for ``sync rollback``), the pin ``rollback`` set, and
the commits refused (invalid or unsigned), so each is reported once, not on every fetch. It is
written atomically after every change; ``sync status`` reads it without any lock.

:class:`AgentLock` makes one agent per project: an exclusive ``flock`` on
``<state_dir>/sync/agent.lock`` (released by the kernel when the holder dies, so a crashed
agent's standby takes over at once), holding the holder's pid, host and start time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
HISTORY = 20
STATUS_FILE = "status.json"
LOCK_FILE = "agent.lock"


@dataclass
class SyncStatus:
    url: str = ""
    ref: str = ""
    branch: str | None = None
    tag_pattern: str | None = None
    path: str | None = None
    synced: dict[str, Any] | None = None  # {sha, subject, at, run_id}
    applying: dict[str, Any] | None = None  # {sha, subject, since}
    last_error: dict[str, Any] | None = None  # {commit, message, at, kind}
    tip: str | None = None  # the ref's commit at the last fetch
    fetched_at: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # synced commits, newest last
    pin: dict[str, Any] | None = None  # {sha, tip, at, who}
    refused: dict[str, str] = field(default_factory=dict)  # sha -> why (reported once)
    agent: dict[str, Any] | None = None  # {pid, host, started}
    kept: list[str] = field(default_factory=list)  # left the repository, kept (no --prune)

    @classmethod
    def load(cls, root: Path) -> SyncStatus:
        path = Path(root) / STATUS_FILE
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, root: Path) -> None:
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = root / f".{STATUS_FILE}.{os.getpid()}.tmp"
        temp.write_text(json.dumps({"format_version": FORMAT_VERSION, **asdict(self)},
                                   indent=2, sort_keys=True) + "\n")
        temp.chmod(0o600)
        temp.replace(root / STATUS_FILE)

    def mark_synced(self, sha: str, subject: str, run_id: str | None) -> None:
        now = round(time.time(), 3)
        self.synced = {"sha": sha, "subject": subject, "at": now, "run_id": run_id}
        self.applying = None
        if not self.history or self.history[-1]["sha"] != sha:
            self.history.append({"sha": sha, "subject": subject, "at": now})
            del self.history[:-HISTORY]

    def previous(self) -> dict[str, Any] | None:
        """The synced commit before the current one (``sync rollback``'s target)."""
        current = self.synced["sha"] if self.synced else None
        for entry in reversed(self.history):
            if entry["sha"] != current:
                return dict(entry)
        return None

    def to_json(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **asdict(self)}


class AgentLock:
    """The one-agent-per-project lock (see the module docstring)."""

    def __init__(self, root: Path):
        self.path = Path(root) / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock without waiting; False when another agent holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder()).encode())
        self._fd = fd
        return True

    def holder(self) -> dict[str, Any] | None:
        """Who holds (or last held) the lock, from the file."""
        try:
            data = json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def busy(self) -> bool:
        """Whether some agent holds the lock now (probed without keeping it)."""
        if self._fd is not None:
            return True
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def holder() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": round(time.time(), 3)}
