"""sd_notify support: the datagram socket a service finds in ``$NOTIFY_SOCKET``.

:class:`NotifySocket` binds a unix datagram socket (``run/<name>.notify`` under the state
dir) and reads it on a small daemon thread. When a datagram holds the line ``READY=1`` it
writes the ready file (``run/<name>.ready``) that the notify probe of
:mod:`reconciler.health.probes` looks for, so readiness survives the engine process (``status``
run later still sees it). Unix socket paths are limited to ~107 bytes; a longer path is
replaced by a short one in the temp dir, derived from the long one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
from pathlib import Path

MAX_SOCKET_PATH = 100


def socket_path_for(wanted: Path) -> Path:
    """``wanted`` when it fits in a sockaddr_un, else a short stable path in the temp dir."""
    if len(os.fsencode(str(wanted))) <= MAX_SOCKET_PATH:
        return wanted
    import tempfile  # random, bisect, ...: only for a socket path too long to bind

    digest = hashlib.sha256(os.fsencode(str(wanted))).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"reconciler-{digest}.notify"


def parse_notify(datagram: bytes) -> dict[str, str]:
    """``KEY=value`` lines of one sd_notify datagram."""
    fields: dict[str, str] = {}
    for line in datagram.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value
    return fields


class NotifySocket:
    """A bound notify socket plus its reader thread; use :meth:`open` then :meth:`close`."""

    def __init__(self, wanted_path: Path, ready_path: Path):
        self.path = socket_path_for(wanted_path)
        self.ready_path = ready_path
        self.status = ""  # last STATUS= the service sent
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.ready_path.exists()

    def open(self) -> NotifySocket:
        """Bind (replacing a stale socket file), clear the ready file, start reading."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ready_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.ready_path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o666)  # a service running as another user must reach it
        sock.settimeout(0.2)
        self._sock = sock
        self._thread = threading.Thread(target=self._read, name=f"notify:{self.path.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                datagram = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = parse_notify(datagram)
            self.status = fields.get("STATUS", self.status)
            if fields.get("READY") == "1":
                self.ready_path.write_text(f"{os.getpid()}\n")

    def close(self, *, forget_ready: bool = False) -> None:
        """Stop reading and remove the socket file (and the ready file when asked)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if forget_ready:
            with contextlib.suppress(FileNotFoundError):
                self.ready_path.unlink()
