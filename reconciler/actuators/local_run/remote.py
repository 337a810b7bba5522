"""The process and task actuators' remote path: what ``process.X@host`` does instead of
/proc and killpg.

The local fast path stays in :mod:`reconciler.actuators.process.actuator`; when the context's
transport
is not ``local`` the actuator calls these functions, each ONE round trip through
:mod:`reconciler.transports.procs_remote`:

* :func:`scan` — every marked process of the project on the host (observe batches on it);
* :func:`start` — spawn detached with the same marks (``RECONCILER_PROJECT/ADDRESS/SPEC_HASH``)
  and log to ``~/.local/state/reconciler/<scope>/logs/<name>.log`` on the host;
* :func:`stop` — the stop signal to the marked process groups, then SIGKILL;
* :func:`health` — tcp/http checks of 127.0.0.1/localhost run on the host itself; other
  targets are probed from here, command checks through the transport.

Identity is the same as locally: pid + start time, read from the host's own /proc.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.local_run.files import service_env
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.errors import TerminalError
from reconciler.health.probes import probe as probe_here
from reconciler.model.changes import Health, HealthStatus, Observed, Status
from reconciler.model.secrets import Redactor
from reconciler.model.types import Address, ProbeKind, Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports import procs_remote as proc_remote

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def is_remote(ctx: ActuatorContext) -> bool:
    """Whether ctx's transport is a remote host (its typed ``is_local`` capability)."""
    return not ctx.transport.is_local


def scan(ctx: ActuatorContext) -> tuple[list[proc_scan.ProcInfo], proc_remote.HostClock]:
    return proc_remote.scan(ctx.transport, ctx.scope)


def scan_with(ctx: ActuatorContext, pids: list[int]) -> tuple[
        list[proc_scan.ProcInfo], proc_remote.HostClock, dict[int, proc_scan.StatFields]]:
    """:func:`scan` plus the stat lines of ``pids`` (imported processes carry no marks)."""
    return proc_remote.scan_with(ctx.transport, ctx.scope, pids)


def running(address: Address, info: proc_scan.ProcInfo, ctx: ActuatorContext,
            clock: proc_remote.HostClock, *, adopted: bool = False,
            started_at: float | None = None) -> Observed:
    """The Observed of a live remote process (facts like the local actuator's)."""
    port = info.marks.get("PORT", "")
    facts = {"pid": info.pid, "start_time": info.stat.starttime, "pgid": info.stat.pgrp,
             "log_path": proc_remote.log_path(ctx.scope, address.name),
             "port": int(port) if port.isdigit() else None,
             "started_at": started_at if started_at is not None
             else clock.btime + info.stat.starttime / max(1, clock.ticks),
             "boot_id": clock.boot_id, "host": ctx.transport.host,
             **proc_scan.imported_fact(info)}
    return Observed(address, Status.RUNNING, info.marks.get(proc_scan.HASH_VAR), facts=facts,
                    adopted=adopted)


def environment(resource: Resource, ctx: ActuatorContext, *, marks: bool) -> dict[str, str]:
    """The service's env on the host: PATH, LANG, the resource env, PORT, the marks (HOME,
    USER and LOGNAME stay those of the login user)."""
    return service_env(resource, ctx, {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}, marks=marks)


def start(resource: Resource, ctx: ActuatorContext, window: float) -> Observed:
    """Start the process on the host; TerminalError with its log tail when it dies at once."""
    address, spec = resource.address, ProcessSpec.of(resource.spec)
    if spec.user:
        raise TerminalError(f"`user: {spec.user}` is not supported for {address}",
                            hint="log in to the host as that user: `user:` on the host")
    if resource.health is not None and resource.health.kind is ProbeKind.NOTIFY:
        raise TerminalError(f"{address}: sd_notify health checks work for local processes only",
                            hint="use a tcp, http or command health check on remote hosts")
    procs, clock = scan(ctx)
    same = [p for p in procs if p.address == str(address)]
    leaders = [p for p in same if p.is_leader]
    if leaders and leaders[0].marks.get(proc_scan.HASH_VAR) == resource.hash():
        return running(address, leaders[0], ctx, clock)  # already started (a crashed apply)
    if same:
        stop(address, ctx, spec)
    env = environment(resource, ctx, marks=True)
    log = proc_remote.log_path(ctx.scope, address.name)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    header = f"--- reconciler: {stamp} start {address} (spec {resource.hash()[:12]})"
    began = time.time()
    started = proc_remote.start(ctx.transport, list(spec.command), env,
                                spec.cwd or "~", log, header, window)
    if started.stat is None:
        how = f"exited {started.exit_code}" if started.exit_code is not None else "exited"
        redact = Redactor(resource.secrets.values())
        raise TerminalError(f"{address} {how} right after it started on {ctx.transport.host};"
                            f" last log lines:\n{redact(started.log_tail)}",
                            hint=f"see the full log on the host: {log} "
                                 f"(`reconciler logs {address.name}`)")
    info = proc_scan.ProcInfo(started.pid, started.stat,
                              {proc_scan.HASH_VAR: resource.hash(), "PORT": env.get("PORT", "")})
    return running(address, info, ctx, clock, started_at=began)


def unmarked(found: Mapping[Address, list[proc_scan.ProcInfo]], ctx: ActuatorContext,
             clock: proc_remote.HostClock | None) -> dict[Address, Observed]:
    """Each address's unmarked leader, as observed: a process ``import`` adopted, which a
    fresh scan of marks (an update's, a stop's) does not see."""
    return {address: running(address, info, ctx, clock or proc_remote.HostClock())
            for address, infos in found.items()
            for info in infos if info.is_leader and info.marks.get(proc_scan.IMPORTED)}


def stop(address: Address, ctx: ActuatorContext, spec: ProcessSpec,
         imported: Observed | None = None) -> int:
    """Stop every process marked with ``address`` on the host (and the group the imported
    process ``imported`` leads, by its pid and start time); how many were SIGKILLed."""
    sig = proc_scan.parse_signal(spec.stop_signal)
    timeout = spec.shutdown_or(10.0)
    pid, start = (imported.facts.get("pid"), imported.facts.get("start_time")) \
        if imported is not None else (None, None)
    known = (pid, start) if isinstance(pid, int) and isinstance(start, int) else None
    return proc_remote.stop(ctx.transport, ctx.scope, str(address), sig, timeout, known)


def health(resource: Resource, ctx: ActuatorContext) -> Health:
    """Probe once, from where it makes sense (see the module docstring)."""
    check = resource.health
    if check is None:
        return Health(HealthStatus.HEALTHY, "no health check: running counts as healthy")
    if check.kind in (ProbeKind.TCP, ProbeKind.HTTP) and proc_remote.runs_on_host(check):
        return proc_remote.probe(check, ctx.transport)
    if check.kind is ProbeKind.NOTIFY:
        return Health(HealthStatus.UNHEALTHY, "sd_notify checks work for local processes only")
    return probe_here(check, ctx.transport, env=environment(resource, ctx, marks=False))
