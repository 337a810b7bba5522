"""Small process helpers shared by the fixtures: checked commands and by-pid termination."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence


class InfraError(RuntimeError):
    """A fixture could not build or tear down a piece of test infrastructure."""


def run(argv: Sequence[str], *, stdin: str | None = None, timeout: float = 30.0) -> str:
    """Run `argv`, return its stdout; raise InfraError with stderr when it fails."""
    try:
        done = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfraError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise InfraError(f"{' '.join(argv)} exited {done.returncode}: {detail}")
    return done.stdout


def run_quiet(argv: Sequence[str], timeout: float = 30.0) -> bool:
    """Run `argv` ignoring its output; True when it succeeded (used by clean-up paths)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def start_time(pid: int) -> int | None:
    """The kernel start time of `pid` (clock ticks since boot), or None when it is gone.

    Together with the pid it identifies a process: a reused pid has another start time.
    """
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def running(pid: int, started: int | None) -> bool:
    """Whether the process that started at `started` still runs (a zombie does not)."""
    fields = _stat(pid)
    return fields is not None and int(fields[19]) == started and fields[0] != "Z"


def descendants(pids: Iterable[int]) -> list[int]:
    """Every process below `pids` (children, theirs, ...), from the parent pids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        fields = _stat(int(entry)) if entry.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = list(pids)
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def kill_pid(pid: int, started: int | None, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to `pid` only if it is still the process that started at `started`."""
    if started is not None and start_time(pid) != started:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop_popen(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM a child we started, SIGKILL after `grace` seconds, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def wait_until(
    predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll `predicate` until it returns something true; InfraError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise InfraError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
