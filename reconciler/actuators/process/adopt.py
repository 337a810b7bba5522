"""``reconciler import process.X PID``: what a running process that we did not start is.

Reads ``/proc/<pid>`` once (local processes only) and answers the spec to record for it:
the configured spec with the fields ``/proc`` shows replaced by what the process really
runs -- ``command`` (its argv; a bare program name matches the path it ran
from), ``cwd`` and the configured ``env`` keys (its value, or the
key dropped when it lacks it; a differing secret is written as a marker, never in clear).
Fields /proc cannot show (user, port, timeouts, health) are taken from the config as they
are. The facts are the ones apply records (pid, start time, group), so observe finds the
process by its recorded identity without marks (reconciler/actuators/process/claim.py).
Never signals anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext, Adopted, foreign_owner
from reconciler.actuators.local_run.files import working_dir
from reconciler.actuators.local_run.remote import is_remote
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.errors import ObjectGone, UserError
from reconciler.model.secrets import record_running_env, reveal_env
from reconciler.model.types import Resource
from reconciler.transports import procfs as proc_scan

DIFFERENT_SECRET = "(secret: the running process has another value)"


def adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for the running process ``ident`` (a pid): the kind's AdoptHook."""
    if is_remote(ctx):
        raise UserError(f"{resource.address}: only local processes can be imported",
                        hint="import processes on the host where reconciler runs")
    if not ident.isdigit():
        raise UserError(f"{ident!r} is not a pid", hint="import process.NAME PID")
    pid = int(ident)
    stat = proc_scan.read_stat(pid)
    if stat is None or stat.state in ("Z", "X"):
        raise ObjectGone(f"no running process has pid {pid}", hint="see `ps -e`")
    if stat.pgrp != pid:
        raise UserError(f"pid {pid} does not lead its own process group (group {stat.pgrp})",
                        hint="stopping it would signal its whole group; start it in its own "
                             "session (setsid) to import it")
    try:
        environ = proc_scan.parse_environ(Path(f"/proc/{pid}/environ").read_bytes())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError as exc:
        raise UserError(f"cannot read /proc/{pid}: {exc.strerror}",
                        hint="import a process of your own user") from None
    owner = foreign_owner(environ.get(proc_scan.STATE_VAR),
                          environ.get(proc_scan.STATE_DIR_VAR), ctx)
    if owner is not None:
        raise UserError(f"pid {pid} is owned by another state (id {owner['state_id']}, "
                        f"dir {owner['dir'] or '?'})", hint="import it from that state's "
                        "checkout, or apply with --adopt to replace it")
    command = [a.decode("utf-8", "replace") for a in argv[:-1]]
    return Adopted(_spec(resource, ctx, command, cwd, environ), {
        "pid": pid, "start_time": stat.starttime, "pgid": stat.pgrp,
        "port": ProcessSpec.of(resource.spec).port, "boot_id": proc_scan.boot_id(),
        "started_at": proc_scan.boot_time() + stat.starttime / proc_scan.clock_ticks(),
        "imported": True}, f"pid {pid}")


def _same_argv(wanted: list[str], running: list[str]) -> bool:
    """The argv the config asks for, allowing argv[0] to be written as the path PATH found
    (``python3`` vs ``/usr/bin/python3``: the same name, only spelled out)."""
    if wanted[1:] != running[1:] or not wanted or not running:
        return wanted == running
    return wanted[0] == running[0] or (
        "/" not in wanted[0] and os.path.basename(running[0]) == wanted[0])


def _spec(resource: Resource, ctx: ActuatorContext, command: list[str], cwd: str,
          environ: Mapping[str, str]) -> dict[str, Any]:
    spec = resource.portable_spec()
    wanted = ProcessSpec.of(resource.spec)
    if not _same_argv(list(wanted.command), command):
        spec["command"] = command
    want_cwd = working_dir(wanted, ctx)
    if want_cwd is None or os.path.realpath(want_cwd) != os.path.realpath(cwd):
        spec["cwd"] = cwd
    clear = reveal_env(dict(wanted.env), resource.secrets)
    record_running_env(spec, environ, clear, DIFFERENT_SECRET)
    return spec
