"""The process actuator (kind ``process``): start, observe, stop and probe processes.

Locally it reads /proc and signals groups itself; elsewhere each step is one round trip
(:mod:`reconciler.actuators.local_run.remote`). Identity is pid + start time; ownership is the
env marks (``RECONCILER_PROJECT``, ``_ADDRESS``, ``_SPEC_HASH``, ``_STATE_ID``, ``_STATE_DIR``).
Observe makes one /proc pass: after state loss marked session leaders are adopted, unless
another state's id marks them (``owned_by``: refused without ``--adopt``). Commands are exec'ed
directly, so the recorded pid leads its own session and group; an exit code is known only to
the engine process that reaped it. Stop signals every group holding a marked process, waits
``shutdown_timeout``, then SIGKILLs; a pid whose start time changed is never signalled.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext, foreign_owner
from reconciler.actuators.local_run import remote as process_remote
from reconciler.actuators.local_run import stop as proc_stop
from reconciler.actuators.local_run.files import crash_error, environment, prepare_log, working_dir
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.actuators.process import ports as process_ports
from reconciler.actuators.process.claim import claim_recorded, imported_pids
from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.health.notify import NotifySocket
from reconciler.health.probes import probe
from reconciler.model.changes import (
    OWNED_BY,
    Action,
    Change,
    Health,
    HealthStatus,
    Observed,
    Status,
)
from reconciler.model.types import Address, ProbeKind, Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports.pidwatch import ExitWatch

DEFAULT_SHUTDOWN_TIMEOUT = 10.0
# Without an apply's exit watch (ctx.exit_watch), a start waits this long for an
# early exit itself; remote starts always do (on the host, in the start's one round trip).
EARLY_EXIT_WINDOW = 0.4


class ProcessActuator:
    """Local processes; see the module docstring for identity and stop semantics."""

    kind = "process"
    owned_ports = staticmethod(process_ports.owned_ports)  # the PortOwner hook (base.py)

    def __init__(self) -> None:
        self._notify: dict[Address, NotifySocket] = {}
        self._lock = threading.Lock()
        # The last local /proc scan per scope, by address: apply runs under the project's lease
        # right after a plan's observe, so a create looks here instead of scanning /proc again
        # (big applies were quadratic); on hosts the unmarked (imported) leaders by (host, scope)
        self._seen: dict[str, dict[Address, list[proc_scan.ProcInfo]]] = {}
        self._imported: dict[tuple[str, str], dict[Address, Observed]] = {}

    # -- observe ----------------------------------------------------------------------------

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        found: dict[Address, list[proc_scan.ProcInfo]] = defaultdict(list)
        remote = process_remote.is_remote(ctx)
        procs, clock, stats = process_remote.scan_with(ctx, imported_pids(recorded)) \
            if remote else (proc_stop.SHARED.scan(ctx.scope), None, None)
        for info in procs:
            address = _address_of(info)
            if address is not None and address.kind == self.kind:
                found[address].append(info)
        claim_recorded(found, recorded, local=not remote, stats=stats)
        with self._lock:
            if remote:
                self._imported[(ctx.transport.host, ctx.scope)] = process_remote.unmarked(
                    found, ctx, clock)
            else:
                self._seen[ctx.scope] = dict(found)
        wanted = {r.address for r in desired if r.kind == self.kind} | set(recorded) | set(found)
        booted = clock.boot_id if clock is not None else proc_scan.boot_id()
        result: dict[Address, Observed] = {}
        for address in sorted(wanted):
            seen = self._observe_one(address, found.get(address, []), recorded.get(address),
                                     ctx, booted, clock)
            if seen is not None:
                result[address] = seen
        return result

    def _observe_one(self, address: Address, procs: list[proc_scan.ProcInfo],
                     rec: Mapping[str, Any] | None, ctx: ActuatorContext,
                     booted: str, clock: object = None) -> Observed | None:
        leaders = [p for p in procs if p.is_leader]
        owners = [o for o in (foreign_owner(p.marks.get(proc_scan.STATE_VAR),
                                            p.marks.get(proc_scan.STATE_DIR_VAR), ctx)
                              for p in leaders) if o is not None]
        if rec is not None:  # ours; another state's copy beside it (two applies raced) shows
            for info in procs:
                if info.pid == rec.get("pid") and info.stat.starttime == rec.get("start_time"):
                    seen = _running(address, info, ctx, clock=clock)
                    return replace(seen, facts={**seen.facts, OWNED_BY: owners[0]}) \
                        if owners else seen
        if leaders:
            seen = _running(address, leaders[0], ctx, adopted=True, clock=clock)
            owner = foreign_owner(leaders[0].marks.get(proc_scan.STATE_VAR),
                                  leaders[0].marks.get(proc_scan.STATE_DIR_VAR), ctx)
            return seen if owner is None else replace(seen, facts={**seen.facts,
                                                                   OWNED_BY: owner})
        if procs:
            return Observed(address, Status.EXITED,
                            rec.get("spec_hash") if rec else procs[0].marks.get(
                                proc_scan.HASH_VAR),
                            reason=f"exited; {len(procs)} child process(es) left running",
                            facts={"stray_pids": [p.pid for p in procs]},
                            adopted=rec is None)
        if rec is None:
            return None
        code, reason = proc_scan.exit_reason(ctx.transport, rec, booted)
        return Observed(address, Status.EXITED, rec.get("spec_hash"), exit_code=code,
                        reason=reason, facts={k: rec[k] for k in ("pid", "log_path") if k in rec})

    # -- apply ------------------------------------------------------------------------------

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        if change.action is Action.DELETE or resource is None:
            self._stop(change.address, ctx, resource)
            return None
        if change.action is Action.UPDATE or change.is_noop:
            seen = self._planned(resource.address, ctx) or \
                self.observe([resource], {}, ctx).get(resource.address)
            if seen is None or not seen.running:
                return self._start(resource, ctx)
            return replace(seen, adopted=False)
        if change.action is Action.REPLACE:
            self._stop(resource.address, ctx, resource)
        return self._start(resource, ctx)

    def _stop(self, address: Address, ctx: ActuatorContext, resource: Resource | None,
              known: Sequence[proc_scan.ProcInfo] | None = None) -> None:
        spec = ProcessSpec.of(resource.spec if resource is not None else {})
        sig = proc_scan.parse_signal(spec.stop_signal)
        timeout = float(ctx.stop_timeout or  # `reconciler stop --timeout`
                        spec.shutdown_or(DEFAULT_SHUTDOWN_TIMEOUT))
        if process_remote.is_remote(ctx):  # one round trip on the host; no local listeners
            killed = process_remote.stop(address, ctx, spec, self._planned(address, ctx))
        else:
            if known is None:
                known = self._snapshot(address, ctx) or []
            killed = proc_stop.stop_owned(ctx.scope, str(address), sig, timeout,
                                          transport=ctx.transport, known=known)
        if killed:
            ctx.events(_event("node.log", address,
                              f"{killed} process(es) ignored {sig.name} for {timeout:g}s: "
                              "sent SIGKILL"))
        with self._lock:
            listener = self._notify.pop(address, None)
        if listener is not None:
            listener.close(forget_ready=True)
        (ctx.state_dir / "run" / f"{address.name}.ready").unlink(missing_ok=True)

    def _start(self, resource: Resource, ctx: ActuatorContext) -> Observed:
        address = resource.address
        if process_remote.is_remote(ctx):
            return process_remote.start(resource, ctx, EARLY_EXIT_WINDOW)
        same = self._leftovers(address, ctx)
        leaders = [p for p in same if p.is_leader]
        if leaders and leaders[0].marks.get(proc_scan.HASH_VAR) == resource.hash():
            return _running(address, leaders[0], ctx)  # already started (a crashed apply)
        if same:
            self._stop(address, ctx, resource, known=same)
        spec = ProcessSpec.of(resource.spec)
        env = environment(resource, ctx, marks=True)
        if resource.health is not None and resource.health.kind is ProbeKind.NOTIFY:
            listener = self._listen(address, ctx)
            env["NOTIFY_SOCKET"] = str(listener.path)
        log_path = prepare_log(ctx, address, resource.hash())
        pid = ctx.transport.spawn(list(spec.command), env=env, cwd=working_dir(spec, ctx),
                                  log_path=str(log_path), user=spec.user)
        began = time.monotonic()
        stat = proc_scan.read_stat(pid)
        shared = ctx.exit_watch
        watch = shared if isinstance(shared, ExitWatch) else ExitWatch()
        watch.watch(str(address), pid, stat.starttime if stat is not None else -1,
                    lambda: self._crashed(resource, ctx, pid, log_path, began))
        if watch is not shared:  # no apply around us to watch on: wait the window here
            try:
                crash = watch.settle(EARLY_EXIT_WINDOW).get(str(address))
            finally:
                watch.close()
            if crash is not None:
                raise crash
        if stat is None:  # gone (and reaped) before we looked: the watch has said so
            raise self._crashed(resource, ctx, pid, log_path, began)
        info = proc_scan.ProcInfo(pid, stat, {proc_scan.HASH_VAR: resource.hash(),
                                              "PORT": env.get("PORT", "")})
        ctx.events(_event("node.log", address, f"started pid {pid}", pid=pid))
        return _running(address, info, ctx)

    def _crashed(self, resource: Resource, ctx: ActuatorContext, pid: int, log_path: Path,
                 began: float) -> TerminalError:
        """The error of a process that ended while its apply still watched it."""
        self._forget_listener(resource.address)
        code = ctx.transport.exit_code(pid)
        return crash_error(resource, code, log_path, time.monotonic() - began, EARLY_EXIT_WINDOW)

    def _snapshot(self, address: Address,
                  ctx: ActuatorContext) -> list[proc_scan.ProcInfo] | None:
        """What the plan's scan found for ``address`` (taken once per observe); None when
        there was no scan of this scope."""
        with self._lock:
            seen = self._seen.get(ctx.scope)
            return seen.pop(address, []) if seen is not None else None

    def _planned(self, address: Address, ctx: ActuatorContext) -> Observed | None:
        """The live leader the plan's scan gave ``address`` (also one found by its recorded pid,
        moved by ``state mv`` or imported, which marks miss; on a host: only an imported one)."""
        with self._lock:
            if process_remote.is_remote(ctx):
                return self._imported.get((ctx.transport.host, ctx.scope), {}).get(address)
            infos = (self._seen.get(ctx.scope) or {}).get(address, [])
        return next((_running(address, p, ctx) for p in infos if p.stat.pgrp == p.pid and
                     proc_scan.is_same_process(p.pid, p.stat.starttime)), None)

    def _leftovers(self, address: Address, ctx: ActuatorContext) -> list[proc_scan.ProcInfo]:
        """Processes of ``address`` already running: from the plan's scan when there was one,
        else from a fresh (shared) scan; still-alive ones only."""
        cached = self._snapshot(address, ctx)
        if cached is None:
            return proc_stop.SHARED.of(ctx.scope, str(address))
        return [p for p in cached if proc_scan.is_same_process(p.pid, p.stat.starttime)]

    def _listen(self, address: Address, ctx: ActuatorContext) -> NotifySocket:
        self._forget_listener(address)
        run = ctx.state_dir / "run"
        listener = NotifySocket(run / f"{address.name}.notify", run / f"{address.name}.ready")
        with self._lock:
            self._notify[address] = listener.open()
        return listener

    def _forget_listener(self, address: Address) -> None:
        with self._lock:
            listener = self._notify.pop(address, None)
        if listener is not None:
            listener.close()

    def close(self) -> None:
        """Close every notify listener this actuator holds (ready files stay)."""
        with self._lock:
            listeners = list(self._notify.values())
            self._notify.clear()
        for listener in listeners:
            listener.close()

    # -- health -----------------------------------------------------------------------------

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        check = resource.health
        if check is None:
            return Health(HealthStatus.HEALTHY, "no health check: running counts as healthy")
        if not observed.running:
            return Health(HealthStatus.UNHEALTHY, observed.reason or "not running")
        if process_remote.is_remote(ctx):
            return process_remote.health(resource, ctx)
        ready = ctx.state_dir / "run" / f"{resource.name}.ready"
        return probe(check, ctx.transport, env=environment(resource, ctx, marks=False),
                     notify_ready=ready)


def _address_of(info: proc_scan.ProcInfo) -> Address | None:
    try:
        return Address.parse(info.address)
    except ValueError:
        return None


def _running(address: Address, info: proc_scan.ProcInfo, ctx: ActuatorContext,
             *, adopted: bool = False, clock: Any = None) -> Observed:
    if clock is not None:
        return process_remote.running(address, info, ctx, clock, adopted=adopted)
    port = info.marks.get("PORT", "")
    ticks = proc_scan.clock_ticks()
    facts = {"pid": info.pid, "start_time": info.stat.starttime, "pgid": info.stat.pgrp,
             "log_path": str(ctx.log_dir / f"{address.name}.log"),
             "port": int(port) if port.isdigit() else None,
             "started_at": proc_scan.boot_time() + info.stat.starttime / ticks,
             "boot_id": proc_scan.boot_id(), **proc_scan.imported_fact(info)}
    return Observed(address, Status.RUNNING, info.marks.get(proc_scan.HASH_VAR), facts=facts,
                    adopted=adopted)


def _event(kind: str, address: Address, message: str, **data: object) -> Event:
    return Event(kind, str(address), message, data)
