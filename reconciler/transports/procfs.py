"""The /proc scanner behind the process and task actuators.

Parsing is pure (:func:`parse_stat`, :func:`parse_environ`, :func:`parse_btime`,
:func:`owned_processes`, :func:`by_address`) and tested on captured text; fetching
(:func:`read_proc`, :func:`scan`, :func:`read_stat`) only reads files. One :func:`scan` reads
/proc once: ``/proc/<pid>/environ`` for every pid, and ``/proc/<pid>/stat`` only for the
processes whose environment carries ``RECONCILER_PROJECT=<scope>``. Zombies have an empty
environ, so they never appear as owned (a defunct process counts as exited).

The last part signals what a scan found (:func:`signal_processes`): only processes that
still have the pid *and* start time seen in the scan, so a reused pid is never signalled.
Stopping (scan, signal, wait, SIGKILL, rescan) is :mod:`reconciler.actuators.local_run.stop`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from reconciler.errors import TerminalError
from reconciler.transports.base import Transport

PROJECT_VAR = "RECONCILER_PROJECT"
ADDRESS_VAR = "RECONCILER_ADDRESS"
HASH_VAR = "RECONCILER_SPEC_HASH"
STATE_VAR = "RECONCILER_STATE_ID"    # the id of the state that made the process
STATE_DIR_VAR = "RECONCILER_STATE_DIR"  # that state's local directory, to name it
# environment entries kept from an owned process (the rest is dropped: it may hold secrets)
KEPT_VARS = frozenset({PROJECT_VAR, ADDRESS_VAR, HASH_VAR, STATE_VAR, STATE_DIR_VAR, "PORT",
                       "NOTIFY_SOCKET"})


class StatFields(NamedTuple):
    """The fields of /proc/<pid>/stat the actuators use."""

    state: str      # R, S, D, Z (zombie), T, X, ...
    ppid: int
    pgrp: int
    session: int
    starttime: int  # field 22: clock ticks after boot; with the pid, a process's identity


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """One process that carries our ownership marks."""

    pid: int
    stat: StatFields
    marks: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return self.marks.get(ADDRESS_VAR, "")

    @property
    def is_leader(self) -> bool:
        """True for the process we started: it leads its own session."""
        return self.stat.session == self.pid

    @property
    def alive(self) -> bool:
        return self.stat.state not in ("Z", "X", "x")


IMPORTED = "imported"  # a marks key no env var has: a process found by its recorded pid


def imported_fact(info: ProcInfo) -> dict[str, bool]:
    """``{"imported": True}`` for a process ``import`` adopted (its observed facts keep it,
    so the record an update or a re-observe writes still looks it up by pid), else {}."""
    return {IMPORTED: True} if info.marks.get(IMPORTED) else {}


def parse_stat(text: str) -> StatFields:
    """Parse /proc/<pid>/stat; ``comm`` may hold spaces and parentheses. ValueError when
    the text is not a stat line."""
    close = text.rfind(")")
    if close < 0:
        raise ValueError("not a /proc/<pid>/stat line: no ')' after comm")
    rest = text[close + 1:].split()
    if len(rest) < 20:
        raise ValueError(f"not a /proc/<pid>/stat line: {len(rest) + 2} fields")
    return StatFields(rest[0], int(rest[1]), int(rest[2]), int(rest[3]), int(rest[19]))


def parse_environ(data: bytes) -> dict[str, str]:
    """Parse /proc/<pid>/environ (NUL-separated ``NAME=value``)."""
    env: dict[str, str] = {}
    for item in data.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep and name:
            env[name.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return env


def parse_btime(text: str) -> int:
    """The boot time (seconds since the epoch) from /proc/stat; 0 when absent."""
    for line in text.splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    return 0


def marked_for(data: bytes, scope: str) -> bool:
    """Cheap pre-check on raw environ bytes before parsing them."""
    needle = f"{PROJECT_VAR}={scope}".encode()
    return b"\0" + needle + b"\0" in b"\0" + data + b"\0"


def owned_processes(raw: Iterable[tuple[int, bytes, str | None]],
                    scope: str) -> list[ProcInfo]:
    """Pure: from ``(pid, environ bytes, stat text)`` triples keep the processes whose
    environment says ``RECONCILER_PROJECT=<scope>``; a missing or bad stat drops the entry."""
    found: list[ProcInfo] = []
    for pid, environ, stat_text in raw:
        if not marked_for(environ, scope) or stat_text is None:
            continue
        env = parse_environ(environ)
        if env.get(PROJECT_VAR) != scope:
            continue
        try:
            stat = parse_stat(stat_text)
        except ValueError:
            continue
        marks = {k: v for k, v in env.items() if k in KEPT_VARS}
        found.append(ProcInfo(pid, stat, marks))
    return sorted(found, key=lambda p: (p.stat.starttime, p.pid))


def by_address(procs: Iterable[ProcInfo]) -> dict[str, tuple[ProcInfo, ...]]:
    """Pure: the processes of one pass grouped by their ``RECONCILER_ADDRESS`` mark, in the
    pass's order (processes without the mark are left out)."""
    groups: dict[str, list[ProcInfo]] = {}
    for info in procs:
        if info.address:
            groups.setdefault(info.address, []).append(info)
    return {address: tuple(found) for address, found in groups.items()}


# -- fetching ---------------------------------------------------------------------------------

def read_proc(scope: str, root: str = "/proc") -> Iterator[tuple[int, bytes, str | None]]:
    """Read environ of every pid, and stat of those marked for ``scope``."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"{root}/{name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:  # gone meanwhile, or another user's process
            continue
        if not marked_for(environ, scope):
            continue
        yield int(name), environ, _read_text(f"{root}/{name}/stat")


def scan(scope: str, root: str = "/proc") -> list[ProcInfo]:
    """Every live process owned by ``scope``, in one pass over /proc."""
    return [p for p in owned_processes(read_proc(scope, root), scope) if p.alive]


def read_stat(pid: int, root: str = "/proc") -> StatFields | None:
    """The stat fields of one pid, or None when it does not exist (any more)."""
    text = _read_text(f"{root}/{pid}/stat")
    if text is None:
        return None
    try:
        return parse_stat(text)
    except ValueError:
        return None


def is_same_process(pid: int, starttime: int, root: str = "/proc") -> bool:
    """True when ``pid`` still is the live process that started at ``starttime``."""
    stat = read_stat(pid, root)
    return stat is not None and stat.starttime == starttime and stat.state not in ("Z", "X")


@functools.cache
def boot_time(root: str = "/proc") -> int:
    """Seconds since the epoch at boot (cached: it does not change while we run)."""
    return parse_btime(_read_text(f"{root}/stat") or "")


@functools.cache
def boot_id(root: str = "/proc") -> str:
    """This boot's random id: a recorded process with another boot id died in a reboot."""
    return (_read_text(f"{root}/sys/kernel/random/boot_id") or "").strip()


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


# -- signalling what a scan found -------------------------------------------------------------

def parse_signal(name: str) -> signal.Signals:
    """``SIGTERM``, ``TERM`` or ``15``; TerminalError for anything else."""
    text = name.strip().upper()
    try:
        if text.isdigit():
            return signal.Signals(int(text))
        return signal.Signals[text if text.startswith("SIG") else f"SIG{text}"]
    except (KeyError, ValueError):
        raise TerminalError(f"unknown stop signal: {name!r}",
                            hint="use a name like SIGTERM, SIGINT, SIGQUIT or SIGHUP") from None


def signal_processes(procs: Iterable[ProcInfo], sig: int, root: str = "/proc") -> None:
    """Send ``sig`` once to the process group of each process that is still the same
    process (pid and start time); a process that made its own group gets it there."""
    groups: set[int] = set()
    for info in procs:
        if info.stat.pgrp in groups or not is_same_process(info.pid, info.stat.starttime, root):
            continue
        groups.add(info.stat.pgrp)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(info.stat.pgrp, sig)


def exit_reason(transport: Transport, rec: Mapping[str, object],
                booted: str) -> tuple[int | None, str]:
    """Exit code (when the transport knows it) and human words for a recorded process that
    is gone: ``exited 1``, ``killed by SIGKILL``, ``not running since the machine rebooted``."""
    if rec.get("boot_id") and booted and rec.get("boot_id") != booted:
        return None, "not running since the machine rebooted"
    pid = rec.get("pid")
    code = transport.exit_code(pid) if isinstance(pid, int) else None
    if code is None:
        return None, "exited"
    if code < 0:
        with contextlib.suppress(ValueError):
            return code, f"killed by {signal.Signals(-code).name}"
    return code, f"exited {code}"
