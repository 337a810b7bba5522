"""The files and environment of a managed local process: its minimal base environment, the
complete environment it is spawned with (:func:`environment`), its working directory and its
log file (``logs/<name>.log`` under the state dir, size-capped rotation, a header line per
start, the tail shown when a start fails, and the error of an early exit). Shared by the
process and task actuators.
"""

from __future__ import annotations

import functools
import os
import pwd
import time
from pathlib import Path

from reconciler.actuators.base import ActuatorContext, state_dir_mark
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.errors import TerminalError
from reconciler.model.secrets import Redactor, reveal_env
from reconciler.model.types import Address, Resource
from reconciler.transports import procfs as proc_scan

LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_KEEP = 3
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_env(user: str | None) -> dict[str, str]:
    """The minimal environment every process starts from (not the engine's own env):
    PATH and LANG from the engine, HOME/USER/LOGNAME of the user it runs as."""
    try:
        home, name = _account(user, os.geteuid())
    except KeyError:  # not cached: the account may be created later (a watcher lives long)
        home, name = "/", user or ""
    return {"PATH": os.environ.get("PATH") or DEFAULT_PATH,
            "LANG": os.environ.get("LANG") or "C.UTF-8",
            "HOME": home, "USER": name, "LOGNAME": name}


@functools.lru_cache(maxsize=32)
def _account(user: str | None, euid: int) -> tuple[str, str]:
    """(home, name) of ``user`` (else of ``euid``), KeyError when unknown; looked up once per
    process and user (a passwd lookup per start was a measurable part of starting 1000)."""
    entry = pwd.getpwnam(user) if user else pwd.getpwuid(euid)
    return entry.pw_dir, entry.pw_name


def service_env(resource: Resource, ctx: ActuatorContext, base: dict[str, str], *,
                marks: bool) -> dict[str, str]:
    """``base`` + the resource env (secrets revealed) + ``PORT`` and, for the process itself,
    the ownership marks (never for probes). Local and remote starts share it."""
    spec = ProcessSpec.of(resource.spec)
    env = dict(base)
    env.update(reveal_env(dict(spec.env), resource.secrets))
    if spec.port is not None:
        env.setdefault("PORT", str(spec.port))
    if marks:
        env.update({proc_scan.PROJECT_VAR: ctx.scope,
                    proc_scan.ADDRESS_VAR: str(resource.address),
                    proc_scan.HASH_VAR: resource.hash()})
        if ctx.state_id:
            env[proc_scan.STATE_VAR] = ctx.state_id
            env[proc_scan.STATE_DIR_VAR] = state_dir_mark(ctx)
    return env


def prepare_log(ctx: ActuatorContext, address: Address, spec_hash: str) -> Path:
    """``logs/<name>.log``, rotated first when over 10 MiB (``.1`` .. ``.3`` kept), with a
    header line marking this start."""
    path = ctx.log_dir / f"{address.name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
        for index in range(LOG_KEEP - 1, 0, -1):
            older = path.with_name(f"{path.name}.{index}")
            if older.exists():
                older.replace(path.with_name(f"{path.name}.{index + 1}"))
        path.replace(path.with_name(f"{path.name}.1"))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    with path.open("a", encoding="utf-8") as log:
        log.write(f"--- reconciler: {stamp} start {address} (spec {spec_hash[:12]})\n")
    return path


def log_tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines written since the last start header."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    body = text.rsplit("--- reconciler: ", 1)[-1].split("\n", 1)[-1] \
        if "--- reconciler: " in text else text
    tail = body.rstrip("\n").splitlines()[-lines:]
    return "\n".join(tail) if tail else "(the log is empty)"


def environment(resource: Resource, ctx: ActuatorContext, *, marks: bool) -> dict[str, str]:
    """The complete env: a minimal base, the resource env (secrets revealed), ``PORT``
    and, for the process itself, the ownership marks (never for probes)."""
    return service_env(resource, ctx, base_env(ProcessSpec.of(resource.spec).user),
                       marks=marks)


def working_dir(spec: ProcessSpec, ctx: ActuatorContext) -> str | None:
    """The spec's cwd, relative paths taken from the project directory."""
    cwd = spec.cwd
    if not cwd:
        return ctx.project_dir
    base = ctx.project_dir
    if base and not str(cwd).startswith("/"):
        return f"{base}/{cwd}"
    return str(cwd)


def crash_error(resource: Resource, code: int | None, log_path: Path, age: float,
                window: float) -> TerminalError:
    """The error of a process that ended ``age`` s after its start: how, and its log tail."""
    how = f"exited {code}" if code is not None else "exited"
    when = "right after it started" if age < window else \
        f"{age:.1f}s after it started, while the apply still ran"
    return TerminalError(f"{resource.address} {how} {when}; last log lines:\n"
                         + Redactor(resource.secrets.values())(log_tail(log_path)),
                         hint=f"see the full log in {log_path}")
