"""The one-shot task actuator (kind ``task``): run to completion, once per spec hash.

A task is spawned like a process (same env, marks, log file ``logs/<name>.log``: the code both
kinds share is reconciler/actuators/local_run/) through a tiny ``/bin/sh`` wrapper that writes
the command's exit code to ``run/<name>.exit``, so the result is known however the command
ends. Apply waits up to the spec's ``startup_timeout``
(the task's time limit), then stops the task's process group. Success answers
``Observed(COMPLETED, spec_hash, facts={"exit_code": 0, "finished_at": ...})``; failure
raises TerminalError with the task's log tail. A finished task is not in /proc, so observe
answers from what state recorded: the same spec hash with exit code 0 is COMPLETED.

On a remote host (``task.X@host``) the task runs in ONE round trip: the same marks and env,
in its own session (setsid) with its output appended to the host's project log
(:mod:`reconciler.actuators.local_run.remote`), and the round trip returns its exit code; at the
time limit its marked processes are stopped on the host.
"""

from __future__ import annotations

import os
import pwd
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.local_run import remote as process_remote
from reconciler.actuators.local_run import stop as proc_stop
from reconciler.actuators.local_run.files import environment, log_tail, prepare_log, working_dir
from reconciler.actuators.local_run.spec import ProcessSpec
from reconciler.errors import TerminalError
from reconciler.events import Event
from reconciler.model.changes import Action, Change, Health, HealthStatus, Observed, Status
from reconciler.model.secrets import Redactor
from reconciler.model.types import Address, Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports import procs_remote as proc_remote

DEFAULT_TASK_TIMEOUT = 300.0
# $0 is the exit file, "$@" the task's argv; the code is written even when the task fails
WRAPPER = 'rc=0; "$@" || rc=$?; echo "$rc" > "$0"; exit "$rc"'


class TaskActuator:
    """One-shot tasks; see the module docstring."""

    kind = "task"

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        result: dict[Address, Observed] = {}
        for address, rec in sorted(recorded.items()):
            if address.kind != self.kind:
                continue
            code = rec.get("exit_code")
            done = rec.get("status") == Status.COMPLETED.value or code == 0
            status = Status.COMPLETED if done and code in (0, None) else Status.FAILED
            facts = {k: rec[k] for k in ("exit_code", "finished_at", "log_path") if k in rec}
            result[address] = Observed(
                address, status, rec.get("spec_hash"),
                exit_code=code if isinstance(code, int) else None,
                reason="" if status is Status.COMPLETED else f"task failed (exit {code})",
                facts=facts)
        return result

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        if change.action is Action.DELETE or resource is None:
            # a finished task leaves nothing behind; stop one that is still running
            proc_stop.stop_marked(ctx.transport, ctx.scope, str(change.address),
                                  signal.SIGTERM, 5.0)
            return None
        return self.run(resource, ctx)

    def run(self, resource: Resource, ctx: ActuatorContext) -> Observed:
        """Run the task to completion; TerminalError with its log tail when it fails."""
        if not ctx.transport.is_local:
            return self._run_remote(resource, ctx)
        address, spec = resource.address, ProcessSpec.of(resource.spec)
        exit_file = ctx.state_dir / "run" / f"{address.name}.exit"
        exit_file.parent.mkdir(parents=True, exist_ok=True)
        exit_file.write_bytes(b"")
        user = spec.user
        if user and os.geteuid() == 0:
            entry = _user(user)
            os.chown(exit_file, entry.pw_uid, entry.pw_gid)
        env = environment(resource, ctx, marks=True)
        log_path = prepare_log(ctx, address, resource.hash())
        timeout = spec.startup_or(DEFAULT_TASK_TIMEOUT)
        started = time.time()
        pid = ctx.transport.spawn(["/bin/sh", "-c", WRAPPER, str(exit_file), *spec.command],
                                  env=env, cwd=working_dir(spec, ctx), log_path=str(log_path),
                                  user=user)
        ctx.events(_log_event(address, f"task started (pid {pid})", pid=pid))
        code = self._wait(pid, exit_file, timeout, ctx, str(address))
        redact = Redactor(resource.secrets.values())
        if code is None:
            raise TerminalError(
                f"{address} did not finish within {timeout:g}s and was stopped; last log "
                f"lines:\n{redact(log_tail(log_path))}",
                hint="raise the task's startup_timeout if it is only slow")
        if code != 0:
            raise TerminalError(
                f"{address} failed with exit code {code}; last log lines:\n"
                + redact(log_tail(log_path)), hint=f"see the full log in {log_path}")
        finished = time.time()
        return Observed(address, Status.COMPLETED, resource.hash(), exit_code=0,
                        facts={"exit_code": 0, "finished_at": finished,
                               "duration": round(finished - started, 3),
                               "log_path": str(log_path)})

    @staticmethod
    def _run_remote(resource: Resource, ctx: ActuatorContext) -> Observed:
        """One round trip: run on the host in its own session, answer its exit code."""
        address, spec = resource.address, ProcessSpec.of(resource.spec)
        if spec.user:
            raise TerminalError(f"`user:` is not supported for {address}",
                                hint="log in to the host as that user: `user:` on the host")
        timeout = spec.startup_or(DEFAULT_TASK_TIMEOUT)
        env = process_remote.environment(resource, ctx, marks=True)
        log = proc_remote.log_path(ctx.scope, address.name)
        header = f"--- reconciler: {time.strftime('%Y-%m-%dT%H:%M:%S%z')} start {address}"
        started = time.time()
        ctx.events(_log_event(address, f"task started on {ctx.transport.host}"))
        done = ctx.transport.run(["sh", "-s"], timeout=timeout, input=proc_remote.task_script(
            list(spec.command), env, spec.cwd or "~", log, header).encode())
        last = done.stdout.strip().splitlines()[-1:] or [""]
        code = int(last[0][2:]) if last[0].startswith("X ") else None
        if code is None:
            proc_remote.stop(ctx.transport, ctx.scope, str(address), signal.SIGTERM, 5.0)
        tail = Redactor(resource.secrets.values())(done.stderr.strip())
        if code is None:
            raise TerminalError(f"{address} did not finish within {timeout:g}s on "
                                f"{ctx.transport.host} and was stopped {tail}".rstrip(),
                                hint="raise the task's startup_timeout if it is only slow")
        if code != 0:
            raise TerminalError(f"{address} failed with exit code {code} on "
                                f"{ctx.transport.host}",
                                hint=f"see its log: `reconciler logs {address.name}` ({log})")
        finished = time.time()
        return Observed(address, Status.COMPLETED, resource.hash(), exit_code=0,
                        facts={"exit_code": 0, "finished_at": finished,
                               "duration": round(finished - started, 3), "log_path": log})

    @staticmethod
    def _wait(pid: int, exit_file: Path, timeout: float, ctx: ActuatorContext,
              address: str) -> int | None:
        """The task's exit code, or None after stopping it at the deadline."""
        deadline = time.monotonic() + timeout
        stat = proc_scan.read_stat(pid)
        delay = 0.02
        while True:
            data = ctx.transport.read_file(str(exit_file))
            if data and data.strip():
                return int(data.strip())
            ctx.transport.reap()
            alive = stat is not None and proc_scan.is_same_process(pid, stat.starttime)
            if not alive:
                data = ctx.transport.read_file(str(exit_file))
                if data and data.strip():
                    return int(data.strip())
                code = ctx.transport.exit_code(pid)
                return code if code is not None else 128 + signal.SIGKILL
            if time.monotonic() >= deadline:
                proc_stop.stop_owned(ctx.scope, address, signal.SIGTERM, 5.0,
                                     transport=ctx.transport)
                return None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        if observed.status is Status.COMPLETED:
            return Health(HealthStatus.HEALTHY, "completed")
        return Health(HealthStatus.UNHEALTHY, observed.reason or observed.status.value)


def _user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise TerminalError(f"no such user: {name!r}",
                            hint="create the user or remove `user:` from the task") from None


def _log_event(address: Address, message: str, **data: object) -> Event:
    return Event("node.log", str(address), message, data)
