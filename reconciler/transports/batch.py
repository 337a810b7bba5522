"""Observe batching: the first command of several observe calls on one remote host, sent as
ONE script (one round trip, one login shell) instead of one round trip each.

Every remote command starts the login user's shell, and that shell may read start-up files
(bash reads ~/.bashrc for commands sent through sshd) that cost far more than the command
itself, per command. So :func:`observe_together` runs each job (an actuator's observe) twice:

1. **record**: against a :class:`Recorder` that takes the job's first ``run``/``run_script``
   and stops the job there (:class:`Deferred`, a BaseException no ``except Exception``
   swallows). A job that needs something else first (a file read, a spawn, ...) is just
   marked to run plainly; a job that finishes without a command keeps its answer.
2. one round trip: every recorded command in one ``sh -s`` script; each part runs in its own
   ``sh -c`` with its own stdin, its stdout, stderr and exit code framed by random markers.
3. **replay**: each job runs again against a :class:`Replayer` that answers the recorded first
   command from the batch and passes everything else (a second command, files) to the host.

Observe is read-only and deterministic for the same world, so both runs ask the same first
command; should one differ, or the batch fail as a whole, the command is simply sent on its
own: batching never changes an answer, only the number of round trips.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reconciler.transports.base import CommandResult, Transport
from reconciler.transports.ssh_command import command_line

T = TypeVar("T")


class Deferred(BaseException):
    """Stops a job in the record run at its first remote operation."""


@dataclass(frozen=True)
class Call:
    """One remote command as it would be sent: the shell command line and its stdin."""

    command: str
    input: bytes | None
    timeout: float | None


class _Proxy:
    """The parts of the Transport protocol both wrappers pass to the real transport."""

    def __init__(self, real: Transport):
        self.real = real
        self.host = real.host

    @property
    def is_local(self) -> bool:
        return self.real.is_local

    def docker_url(self) -> str | None:
        return self.real.docker_url()

    def wrap(self, command: str) -> str:
        return self.real.wrap(command)

    def exit_code(self, pid: int) -> int | None:
        return self.real.exit_code(pid)

    def reap(self) -> None:
        self.real.reap()

    def close(self) -> None:
        return None  # the pool owns the real transport


class Recorder(_Proxy):
    """Records the first command of a job and stops it (see the module docstring)."""

    call: Call | None = None

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        command, stdin = command_line(argv, env=env, cwd=cwd, input=input)
        return self._defer(Call(command, stdin, timeout))

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        return self._defer(Call("sh -s", script.encode(), timeout))

    def _defer(self, call: Call) -> CommandResult:
        self.call = call
        raise Deferred

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        raise Deferred

    def read_file(self, path: str) -> bytes | None:
        raise Deferred

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        raise Deferred


class Replayer(_Proxy):
    """Answers the recorded first command from the batch; the rest goes to the host."""

    def __init__(self, real: Transport, call: Call | None, answer: CommandResult | None):
        super().__init__(real)
        self._call, self._answer = call, answer

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        command, stdin = command_line(argv, env=env, cwd=cwd, input=input)
        answer = self._take(Call(command, stdin, timeout))
        return answer or self.real.run(argv, env=env, cwd=cwd, input=input, timeout=timeout)

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        answer = self._take(Call("sh -s", script.encode(), timeout))
        return answer or self.real.run_script(script, timeout=timeout)

    def _take(self, call: Call) -> CommandResult | None:
        answer = self._answer if call == self._call else None
        self._call = self._answer = None  # only ever the first command
        return answer

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        return self.real.spawn(argv, env=env, cwd=cwd, log_path=log_path, user=user)

    def read_file(self, path: str) -> bytes | None:
        return self.real.read_file(path)

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self.real.write_file(path, data, mode)


def observe_together(transport: Transport, jobs: Sequence[Callable[[Transport], T]]) -> list[T]:
    """Run ``jobs`` (each given the transport to use) with their first commands batched
    into one round trip; their results, in order. Exceptions propagate as without batching."""
    recorders = [Recorder(transport) for _ in jobs]
    done: dict[int, T] = {}
    for index, (job, recorder) in enumerate(zip(jobs, recorders, strict=True)):
        try:
            done[index] = job(recorder)
        except Deferred:
            pass
        except Exception:  # raised again by the plain run below
            recorder.call = None
    calls = {i: r.call for i, r in enumerate(recorders) if r.call is not None}
    answers = run_batch(transport, list(calls.values())) if len(calls) > 1 else []
    by_job = dict(zip(calls, answers, strict=False))
    return [done[i] if i in done else job(Replayer(transport, calls.get(i), by_job.get(i)))
            for i, job in enumerate(jobs)]


def run_batch(transport: Transport, calls: Sequence[Call]) -> list[CommandResult | None]:
    """Run ``calls`` in one round trip; an answer each (None: send that one on its own)."""
    marker = "@@reconciler-batch-" + secrets.token_hex(8)
    script = batch_script(calls, marker)
    if script is None:
        return [None] * len(calls)
    timeouts = [c.timeout for c in calls]
    timeout = None if None in timeouts else sum(t for t in timeouts if t is not None)
    done = transport.run_script(script, timeout=timeout)
    answers = parse_batch(done.stdout, len(calls), marker) if done.ok else None
    return list(answers) if answers is not None else [None] * len(calls)


def batch_script(calls: Sequence[Call], marker: str) -> str | None:
    """The sh script running every call in turn, its output framed by ``marker``; None when
    a call's stdin cannot travel in a here-document (not text ending in a newline)."""
    lines = ['d=$(mktemp -d) || exit 97', 'trap \'rm -rf "$d"\' EXIT']
    for index, call in enumerate(calls):
        stdin = "</dev/null"
        body = ""
        if call.input:
            try:
                text = call.input.decode()
            except UnicodeDecodeError:
                return None
            if not text.endswith("\n") or marker in text:
                return None
            stdin, body = f"<<'{marker}'", f"{text}{marker}\n"
        lines.append(f"printf '%s\\n' '{marker} out {index}'")
        lines.append(f"sh -c {shlex.quote(call.command)} 2>\"$d/err\" {stdin}\n{body}"
                     f"printf '\\n{marker} rc %s\\n' \"$?\"; cat \"$d/err\"; "
                     f"printf '\\n{marker} end\\n'")
    return "\n".join(lines) + "\n"


def parse_batch(text: str, count: int, marker: str) -> list[CommandResult] | None:
    """Pure: the batch script's output -> one result per call; None when not all are there."""
    results: list[CommandResult] = []
    rest = text
    for index in range(count):
        head = f"{marker} out {index}\n"
        if not rest.startswith(head):
            return None
        out, sep, rest = rest[len(head):].partition(f"\n{marker} rc ")
        code, nl, rest = rest.partition("\n")
        err, sep2, rest = rest.partition(f"\n{marker} end\n")
        if not (sep and nl and sep2 and code.isdigit()):
            return None
        results.append(CommandResult(int(code), out, err))
    return results
