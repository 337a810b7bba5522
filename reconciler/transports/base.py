"""The Transport protocol: WHERE commands run (this machine, or an SSH host).

Actuators decide WHAT to do and run it through a transport, so the same process or
container actuator works locally and on a remote host (ssh -> docker -> command). Every
transport has every capability below; one its kind of host cannot offer raises
:class:`~reconciler.errors.TransportError` instead of lacking the method, so actuators never
probe with ``hasattr``. Which class serves a host is chosen by host type in
:mod:`reconciler.transports.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Transport(Protocol):
    """Runs commands and moves files on one host."""

    host: str  # "local" or the host's name in the config

    @property
    def is_local(self) -> bool:
        """True for this machine: /proc, signals and files are reachable directly, so
        actuators take their in-process fast paths; False for a remote host."""
        ...

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        """Run to completion and capture output. Never raises for a non-zero exit."""
        ...

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        """Run a POSIX sh script (given on stdin) in one round trip."""
        ...

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        """Start detached in its own session/process group, stdout+stderr appended to
        ``log_path``, stdin from /dev/null; return the pid. ``env`` is the COMPLETE env."""
        ...

    def read_file(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        ...

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None: ...

    def docker_url(self) -> str | None:
        """The URL of this host's Docker engine: None for this machine's own engine (its
        socket, or DOCKER_HOST), ``ssh://user@address:port`` for an SSH host's engine,
        reached through the host's connection (:meth:`wrap` gives the command line sent)."""
        ...

    def wrap(self, command: str) -> str:
        """The command line actually sent for ``command`` (an SSH host with ``sudo: true``
        puts it under ``sudo -n``)."""
        ...

    def exit_code(self, pid: int) -> int | None:
        """How a process :meth:`spawn` started here ended (negative: killed by that signal);
        None while it runs, when it is not one of ours, or when the transport cannot know
        (a remote host's processes are not children of this one)."""
        ...

    def reap(self) -> None:
        """Collect the spawned children that ended, so none stays a zombie (nothing to do
        where the processes are not children of this one)."""
        ...

    def close(self) -> None: ...
