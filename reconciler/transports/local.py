"""The local transport: commands and files on this machine, through ``subprocess``.

``run`` captures output and never raises for a failing command: a timeout gives return code
124 (like ``timeout(1)``), a missing binary 127 and a non-executable one 126 (like a shell).
``spawn`` starts a detached child in its own session and process group, stdin from
/dev/null, stdout+stderr appended to a log file; it maps OSError (missing binary, permission
denied, bad working directory, unknown user) to :class:`TerminalError` with a hint.

Children spawned here are remembered and reaped, so they never linger as zombies while the
engine runs, and :meth:`LocalTransport.exit_code` can tell how one of them ended.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.errors import TerminalError
from reconciler.transports.base import CommandResult

TIMEOUT_RETURNCODE = 124


class LocalTransport:
    """Runs commands on this machine (host ``local``)."""

    host = "local"
    is_local = True

    def __init__(self) -> None:
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._exited: dict[int, int] = {}
        self._lock = threading.Lock()

    # -- run to completion ------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        """Run ``argv`` (``env`` is the complete environment when given) and capture output."""
        try:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True)
        except OSError as exc:
            code = 126 if exc.errno in (errno.EACCES, errno.EPERM) else 127
            return CommandResult(code, "", describe_os_error(exc, argv, cwd)[0])
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            note = f"\n(timed out after {timeout:g}s; the command's process group was killed)"
            return CommandResult(TIMEOUT_RETURNCODE, _text(out), _text(err) + note)
        return CommandResult(proc.returncode, _text(out), _text(err))

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        """Run a POSIX sh script (given on stdin) to completion."""
        return self.run(["sh", "-s"], input=script.encode(), timeout=timeout)

    def docker_url(self) -> str | None:
        """None: this machine's own engine (its socket, or DOCKER_HOST)."""
        return None

    def wrap(self, command: str) -> str:
        """Commands run here as they are (no sudo wrapper)."""
        return command

    # -- detached children ------------------------------------------------------------------

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        """Start ``argv`` detached (own session + process group); return its pid."""
        if not argv:
            raise TerminalError("empty command", hint="give the service a command to run")
        kwargs = _user_kwargs(user)
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            try:
                proc = subprocess.Popen(
                    list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=dict(env), cwd=cwd, start_new_session=True, close_fds=True, **kwargs)
            except OSError as exc:
                message, hint = describe_os_error(exc, argv, cwd)
                raise TerminalError(message, hint=hint) from None
        with self._lock:
            self._reap_locked()
            self._exited.pop(proc.pid, None)
            self._children[proc.pid] = proc
        return proc.pid

    def exit_code(self, pid: int) -> int | None:
        """How a child spawned here ended (negative: killed by that signal); None while it
        runs or when the pid is not one of ours."""
        with self._lock:
            self._reap_locked()
            return self._exited.get(pid)

    def reap(self) -> None:
        """Collect children that have ended, so they do not stay zombies."""
        with self._lock:
            self._reap_locked()

    def _reap_locked(self) -> None:
        # Fast path: peek (WNOWAIT) at the exited children and collect ours one by one, so a
        # spawn costs no waitpid per live child (starting 1000 services was quadratic).
        while self._children:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None:
                return  # no child has exited
            proc = self._children.get(info.si_pid)
            code = proc.poll() if proc is not None else None
            if proc is None or code is None:
                break  # not ours (a run() about to collect it): look at each of ours instead
            self._exited[info.si_pid] = code
            del self._children[info.si_pid]
        for pid, proc in list(self._children.items()):
            code = proc.poll()
            if code is not None:
                self._exited[pid] = code
                del self._children[pid]

    # -- files ------------------------------------------------------------------------------

    def read_file(self, path: str) -> bytes | None:
        try:
            return Path(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write atomically (temporary file + rename), creating parent directories."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)

    def close(self) -> None:
        """Nothing to release: spawned children are services and keep running."""
        self.reap()


def describe_os_error(exc: OSError, argv: Sequence[str], cwd: str | None) -> tuple[str, str]:
    """A clear message and hint for an OSError raised while starting ``argv``."""
    program = argv[0] if argv else "?"
    if cwd is not None and not os.path.isdir(cwd):
        return (f"working directory {cwd!r} does not exist or is not a directory",
                "create it, or fix the service's working directory (cwd/working_dir)")
    if isinstance(exc, FileNotFoundError):
        return (f"command not found: {program!r}",
                "check the spelling, use an absolute path, or add its directory to PATH "
                "in the service's env")
    if isinstance(exc, PermissionError):
        return (f"permission denied starting {program!r}",
                "make the file executable (chmod +x) and check the user's access rights")
    if exc.errno == errno.ENOEXEC:
        return (f"{program!r} is not an executable program",
                "a script needs a #! line, or run it through its interpreter")
    return f"cannot start {program!r}: {exc.strerror or exc}", "check the command and its cwd"


def _user_kwargs(user: str | None) -> dict[str, Any]:
    """Popen arguments that switch to ``user``; TerminalError when that is impossible."""
    if not user:
        return {}
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise TerminalError(f"no such user: {user!r}",
                            hint="create the user or remove `user:` from the service") from None
    if os.geteuid() == 0:
        return {"user": entry.pw_uid, "group": entry.pw_gid,
                "extra_groups": os.getgrouplist(user, entry.pw_gid)}
    if entry.pw_uid != os.geteuid():
        raise TerminalError(f"cannot run as user {user!r}: reconciler is not running as root",
                            hint="run reconciler as root, or drop `user:` from the service")
    return {}


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")
