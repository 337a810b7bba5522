"""``reconciler import process.X[@HOST] PID``: what a running process that we did not start is.

Reads ``/proc/<pid>`` once (here, or on an SSH host in one round trip through
:mod:`reconciler.transports.procs_inspect`) and answers the spec to record for it:
the configured spec with the fields ``/proc`` shows replaced by what the process really
runs -- ``command`` (its argv; a bare program name matches the path it ran
from), ``cwd`` (on a host: relative to the login user's home, as the remote start runs
it) and the configured ``env`` keys (its value, or the key dropped when it lacks it; a
differing secret is written as a marker, never in clear).
Fields /proc cannot show (user, port, timeouts, health) are taken from the config as they
are. The facts are the ones apply records (pid, start time, group), so observe finds the
process by its recorded identity without marks (reconciler/actuators/process/claim.py).
Never signals anything.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext, Adopted, foreign_owner
from reconciler.actuators.local_run.remote import is_remote
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.errors import ObjectGone, UserError
from reconciler.model.secrets import record_running_env, reveal_env
from reconciler.model.types import Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports import procs_inspect

DIFFERENT_SECRET = "(secret: the running process has another value)"


@dataclass(frozen=True)
class _Seen:
    """What /proc shows of the pid, here or on the host (stat None: no such process)."""

    stat: proc_scan.StatFields | None
    argv: list[str]
    environ: dict[str, str]
    cwd: str | None
    read_error: str
    default_cwd: str | None  # where the config's process runs when it sets no cwd
    clock: tuple[str, float, int]  # boot id, boot time, clock ticks


def adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for the running process ``ident`` (a pid): the kind's AdoptHook."""
    if not ident.isdigit():
        raise UserError(f"{ident!r} is not a pid", hint="import process.NAME PID")
    pid = int(ident)
    remote = is_remote(ctx)
    seen = _remote(pid, ctx) if remote else _local(pid, ctx)
    where = f" on {ctx.transport.host}" if remote else ""
    stat = seen.stat
    if stat is None or stat.state in ("Z", "X"):
        raise ObjectGone(f"no running process has pid {pid}{where}",
                         hint="see `ps -e`" + (" on the host" if remote else ""))
    if stat.pgrp != pid:
        raise UserError(f"pid {pid}{where} does not lead its own process group "
                        f"(group {stat.pgrp})",
                        hint="stopping it would signal its whole group; start it in its own "
                             "session (setsid) to import it")
    if seen.read_error or seen.cwd is None or not seen.argv:
        raise UserError(f"cannot read /proc/{pid}{where}: {seen.read_error or 'no access'}",
                        hint="import a process of your own user" + (
                            " (the host's login user)" if remote else ""))
    owner = foreign_owner(seen.environ.get(proc_scan.STATE_VAR),
                          seen.environ.get(proc_scan.STATE_DIR_VAR), ctx)
    if owner is not None:
        raise UserError(f"pid {pid} is owned by another state (id {owner['state_id']}, "
                        f"dir {owner['dir'] or '?'})", hint="import it from that state's "
                        "checkout, or apply with --adopt to replace it")
    boot_id, btime, ticks = seen.clock
    facts: dict[str, object] = {
        "pid": pid, "start_time": stat.starttime, "pgid": stat.pgrp,
        "port": ProcessSpec.of(resource.spec).port, "boot_id": boot_id,
        "started_at": btime + stat.starttime / max(1, ticks), "imported": True}
    if remote:
        facts["host"] = ctx.transport.host
    return Adopted(_spec(resource, seen), facts, f"pid {pid}{where}")


def _local(pid: int, ctx: ActuatorContext) -> _Seen:
    stat = proc_scan.read_stat(pid)
    clock = (proc_scan.boot_id(), float(proc_scan.boot_time()), proc_scan.clock_ticks())
    default = ctx.project_dir
    if stat is None:
        return _Seen(None, [], {}, None, "", default, clock)
    try:
        environ = proc_scan.parse_environ(Path(f"/proc/{pid}/environ").read_bytes())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError as exc:
        return _Seen(stat, [], {}, None, exc.strerror or str(exc), default, clock)
    return _Seen(stat, [a.decode("utf-8", "replace") for a in argv[:-1]], environ, cwd, "",
                 default, clock)


def _remote(pid: int, ctx: ActuatorContext) -> _Seen:
    """One round trip to the host; a relative or missing cwd means the login user's home
    there, as the remote start runs it (reconciler/actuators/local_run/remote.py)."""
    found = procs_inspect.inspect(ctx.transport, pid)
    clock = (found.clock.boot_id, float(found.clock.btime), found.clock.ticks)
    return _Seen(found.stat, found.argv, found.environ, found.cwd, found.error, found.home,
                 clock)


def _same_argv(wanted: list[str], running: list[str]) -> bool:
    """The argv the config asks for, allowing argv[0] to be written as the path PATH found
    (``python3`` vs ``/usr/bin/python3``: the same name, only spelled out). A string command
    (``/bin/sh -c S``) that is one plain simple command is the argv its words give: the
    shell execs such a command in its place, so that is what runs."""
    if len(wanted) == 3 and wanted[:2] == ["/bin/sh", "-c"] and _plain(wanted[2]):
        wanted = shlex.split(wanted[2])
    if wanted[1:] != running[1:] or not wanted or not running:
        return wanted == running
    return wanted[0] == running[0] or (
        "/" not in wanted[0] and os.path.basename(running[0]) == wanted[0])


def _as_written(wanted: list[str], running: list[str]) -> list[str]:
    """The running argv, as a shell string when the config writes one (so the plan shows
    the string that differs, not every word)."""
    if len(wanted) != 3 or wanted[:2] != ["/bin/sh", "-c"] or not _plain(wanted[2]) \
            or not running:
        return running
    name = shlex.split(wanted[2])[0]
    first = name if "/" not in name and os.path.basename(running[0]) == name else running[0]
    return ["/bin/sh", "-c", shlex.join([first, *running[1:]])]


def _plain(command: str) -> bool:
    """A simple command without anything the shell would expand, redirect or chain."""
    return bool(command.strip()) and not any(c in command for c in "$`;&|<>(){}*?[]~#=\\\n'\"")


def _spec(resource: Resource, seen: _Seen) -> dict[str, Any]:
    spec = resource.portable_spec()
    wanted = ProcessSpec.of(resource.spec)
    if not _same_argv(list(wanted.command), seen.argv):
        spec["command"] = _as_written(list(wanted.command), seen.argv)
    want_cwd = _wanted_cwd(wanted.cwd, seen.default_cwd)
    if want_cwd is None or seen.cwd is None or \
            os.path.realpath(want_cwd) != os.path.realpath(seen.cwd):
        spec["cwd"] = seen.cwd
    clear = reveal_env(dict(wanted.env), resource.secrets)
    record_running_env(spec, seen.environ, clear, DIFFERENT_SECRET)
    return spec


def _wanted_cwd(cwd: str | None, base: str | None) -> str | None:
    """The configured cwd, a relative one taken from ``base`` (the project directory
    here, the login home on a host), ``~`` as the home (the remote default)."""
    if not cwd:
        return base
    if cwd == "~" or cwd.startswith("~/"):
        return None if base is None else base + cwd[1:]
    return cwd if cwd.startswith("/") or base is None else f"{base}/{cwd}"
