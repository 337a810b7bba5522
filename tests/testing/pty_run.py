"""Run the reconciler CLI the three ways people meet it, each bounded and killed by its pid:

* ``pty``: on a real pseudo-terminal (stdin, stdout and stderr are the pty's slave side, whose
  size is set with ``TIOCSWINSZ``; ``TERM=xterm-256color``, colour on, ``NO_COLOR`` removed);
* ``nocolor``: the same terminal with ``NO_COLOR=1``;
* ``pipe``: stdout and stderr are pipes, stdin is empty.

A run reads everything the command writes (stdout and stderr together on the terminal) with a
deadline. A long-running command (``interrupt=True``: watch, ui, status --watch, ...) gets a
first screen, then SIGINT as Ctrl-C sends it, and SIGKILL only when that does not stop it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

MODES = ("pty", "nocolor", "pipe")
COLUMNS, LINES = 120, 40
HANG = 90.0  # a one-shot command still running after this is a hang (a finding)
FIRST_SCREEN = 6.0  # how long a long-running command runs before it gets Ctrl-C


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    mode: str
    code: int  # the exit code; -N when signal N ended the process
    output: str
    hung: bool = False  # did not end by itself (one-shot) or on Ctrl-C (long-running)

    def describe(self) -> str:
        hung = " (hung: killed)" if self.hung else ""
        return f"[{self.mode}] reconciler {' '.join(self.argv)} -> {self.code}{hung}\n" \
               f"{self.output[-1500:]}"


def environment(mode: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES),
               PYTHONUNBUFFERED="1")
    if mode == "nocolor":
        env["NO_COLOR"] = "1"
    return {**env, **(extra or {})}


def _stop(proc: subprocess.Popen[bytes]) -> bool:
    """Ctrl-C (SIGINT to its process group); True when it had to be killed."""
    with_signal(proc, signal.SIGINT)
    try:
        proc.wait(timeout=20)
        return False
    except subprocess.TimeoutExpired:
        with_signal(proc, signal.SIGKILL)
        proc.wait(timeout=20)
        return True


def with_signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the child leads its own session: its group is its pid


def run(argv: list[str] | tuple[str, ...], cwd: Path, mode: str, *,
        env: dict[str, str] | None = None, answer: bytes = b"",
        interrupt: bool = False) -> Run:
    """Run ``python -m reconciler ARGV`` in ``mode``; ``answer`` is typed at its prompt."""
    command = [sys.executable, "-m", "reconciler", *argv]
    if mode == "pipe":
        return _run_piped(tuple(argv), command, cwd, environment(mode, env), answer, interrupt)
    return _run_pty(tuple(argv), command, cwd, mode, environment(mode, env), answer, interrupt)


def _run_piped(argv: tuple[str, ...], command: list[str], cwd: Path, env: dict[str, str],
               answer: bytes, interrupt: bool) -> Run:
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    hung = False
    try:
        out, _ = proc.communicate(answer, timeout=FIRST_SCREEN if interrupt else HANG)
    except subprocess.TimeoutExpired:
        hung = _stop(proc) or not interrupt
        out, _ = proc.communicate(timeout=20)
    return Run(argv, "pipe", proc.returncode, out.decode(errors="replace"), hung)


def _run_pty(argv: tuple[str, ...], command: list[str], cwd: Path, mode: str,
             env: dict[str, str], answer: bytes, interrupt: bool) -> Run:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=slave, stdout=slave,
                                stderr=slave, start_new_session=True, close_fds=True)
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    hung = False
    try:
        if answer:
            os.write(master, answer)
        deadline = time.monotonic() + (FIRST_SCREEN if interrupt else HANG)
        _read_until(master, chunks, proc, deadline)
        try:  # the terminal closed: the process is ending (or the deadline passed)
            proc.wait(timeout=max(0.5, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            hung = _stop(proc) or not interrupt
        _read_until(master, chunks, proc, time.monotonic() + 2)
    finally:
        if proc.poll() is None:
            with_signal(proc, signal.SIGKILL)
            proc.wait(timeout=20)
        os.close(master)
    return Run(argv, mode, proc.returncode, b"".join(chunks).decode(errors="replace"), hung)


def _read_until(master: int, chunks: list[bytes], proc: subprocess.Popen[bytes],
                deadline: float) -> None:
    """Read the terminal until the deadline, or until the process has ended and nothing more
    comes (a process it started may keep the slave open, so EOF may never come)."""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if not ready:
            if proc.poll() is not None:
                return
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every slave descriptor is closed
            return
        if not data:
            return
        chunks.append(data)


def problems(runs: list[Run], documented: set[int]) -> list[str]:
    """Every run that printed a traceback, hung, or exited with an undocumented code."""
    return [r.describe() for r in runs
            if "Traceback" in r.output or r.hung or r.code not in documented
            or "internal error" in r.output]
