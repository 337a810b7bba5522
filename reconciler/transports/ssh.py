"""The SSH transport: commands and files on one remote host, over ONE pooled connection.

Built on fabric (imported lazily: only a project with hosts pays for it) for ~/.ssh/config
aliases and jump hosts; commands run on paramiko channels of that one connection, so threads
may run several at once. Host keys are always verified against known_hosts (the host's
``known_hosts:``, else ~/.ssh/known_hosts): an unknown or changed key raises
:class:`HostUnreachable` naming the host and the key's fingerprint, with the hint
``reconciler hosts trust NAME``. Key material and passwords are never put in messages.

``run`` quotes argv for the remote shell; ``env`` and ``cwd`` travel in a script on stdin
(``sh -s``), so values never appear in a process list. ``sudo: true`` on the host wraps every
command in ``sudo -n``. ``round_trips`` counts executed commands (tests check batching).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import HostUnreachable, TerminalError
from reconciler.model.topology import HostSpec, fingerprint, known_hosts_entry
from reconciler.transports.base import CommandResult
from reconciler.transports.ssh_command import command_line, quote_path
from reconciler.transports.ssh_command import env_script as env_script
from reconciler.transports.ssh_keys import UnknownHostKey, reject_unknown

TIMEOUT_RETURNCODE = 124


class SshTransport:
    """Runs commands on one SSH host; see the module docstring."""

    is_local = False

    def __init__(self, spec: HostSpec, *, jump: SshTransport | None = None):
        self.host = spec.name
        self.spec = spec
        self.round_trips = 0
        self._jump = jump
        self._conn: Any = None
        self._lock = threading.Lock()

    # -- connection -------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the connection (once); HostUnreachable with a clear reason when impossible."""
        with self._lock:
            if self._conn is not None:
                return
            self._conn = self._open()

    def _open(self) -> Any:
        import paramiko
        from fabric import Connection

        spec = self.spec
        kwargs: dict[str, Any] = {"banner_timeout": spec.connect_timeout,
                                  "auth_timeout": spec.connect_timeout}
        if spec.identity_file:
            kwargs.update(key_filename=os.path.expanduser(spec.identity_file),
                          look_for_keys=False, allow_agent=False)
        gateway = None
        if self._jump is not None:
            self._jump.connect()
            gateway = self._jump._conn
        conn = Connection(spec.address, user=spec.user, port=spec.port,
                          connect_timeout=max(1, round(spec.connect_timeout)),
                          connect_kwargs=kwargs, gateway=gateway)
        conn.client.set_missing_host_key_policy(reject_unknown())
        for path in self.known_hosts_files():
            try:
                conn.client.get_host_keys().load(path)
            except (OSError, paramiko.SSHException):
                continue
        where = f"{spec.name} ({conn.host}:{conn.port})"
        try:
            _open_or_close(conn)
        except UnknownHostKey as exc:
            raise HostUnreachable(
                f"host {where} offered an unknown host key {exc.key.get_name()} "
                f"{fingerprint(exc.key.asbytes())}; it is not in "
                f"{', '.join(self.known_hosts_files())}",
                hint=f"check the fingerprint out of band, then run `reconciler hosts trust "
                     f"{spec.name}`") from None
        except paramiko.BadHostKeyException as exc:
            raise HostUnreachable(
                f"host key of {where} CHANGED: it offered {exc.key.get_name()} "
                f"{fingerprint(exc.key.asbytes())}, known_hosts expects "
                f"{fingerprint(exc.expected_key.asbytes())} (possible man-in-the-middle)",
                hint=f"if the host was reinstalled, verify the new key and run `reconciler "
                     f"hosts trust {spec.name} --yes` to replace it") from None
        except paramiko.AuthenticationException:
            key = f" with key file {spec.identity_file}" if spec.identity_file else ""
            raise HostUnreachable(
                f"host {where}: authentication failed as user {conn.user!r}{key}",
                hint="check the host's `user:` and `identity_file:` (key-only login)") from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            reason = "timed out" if isinstance(exc, socket.timeout | TimeoutError) else \
                (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
            raise HostUnreachable(
                f"host {where} unreachable: {reason}",
                hint="check that the host is up and sshd listens there; "
                     "`reconciler hosts test` checks every host") from None
        return conn

    def known_hosts_files(self) -> list[str]:
        files = [os.path.expanduser(self.spec.known_hosts_file())]
        system = "/etc/ssh/ssh_known_hosts"
        return files + ([system] if os.path.exists(system) else [])

    def known_hosts_entry(self) -> str:
        return known_hosts_entry(self.spec.address, self.spec.port)

    # -- commands ---------------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: str | None = None, input: bytes | None = None,
            timeout: float | None = None) -> CommandResult:
        """Run ``argv`` on the host and capture its output; never raises for an exit code."""
        command, stdin = command_line(argv, env=env, cwd=cwd, input=input)
        return self.exec(command, input=stdin, timeout=timeout)

    def run_script(self, script: str, *, timeout: float | None = None) -> CommandResult:
        """Run a POSIX sh script (sent on stdin) in one round trip."""
        return self.exec("sh -s", input=script.encode(), timeout=timeout)

    def wrap(self, command: str) -> str:
        """The command line actually sent: under ``sudo -n`` when the host says sudo."""
        return f"sudo -n -- sh -c {shlex.quote(command)}" if self.spec.sudo else command

    def exit_code(self, pid: int) -> int | None:
        return None  # the host's processes are children of its init, not of this process

    def reap(self) -> None:
        return None  # nothing to collect here: the host's init reaps what we start there

    def docker_url(self) -> str | None:
        """``ssh://user@address:port``: the host's own engine, through this connection."""
        user = f"{self.spec.user}@" if self.spec.user else ""
        return f"ssh://{user}{self.spec.address}:{self.spec.port or 22}"

    def link(self) -> Any:
        """The pooled, host-key-checked paramiko transport of this host (reconnected once
        when it dropped): every command, and the docker engine's dial-stdio channels, use it."""
        self.connect()
        transport = self._conn.client.get_transport()
        if transport is None or not transport.is_active():
            with self._lock:
                self._conn = None
            self.connect()
            transport = self._conn.client.get_transport()
        return transport

    def exec(self, command: str, *, input: bytes | None = None,
             timeout: float | None = None) -> CommandResult:
        """One round trip: run ``command`` through the remote shell on a new channel."""
        transport = self.link()
        self.round_trips += 1
        try:
            chan = transport.open_session(timeout=self.spec.connect_timeout)
            chan.exec_command(self.wrap(command))
            if input:
                chan.sendall(input)
            chan.shutdown_write()
            return _collect(chan, timeout)
        except (OSError, EOFError) as exc:
            raise HostUnreachable(f"host {self.host}: connection lost: {exc}",
                                  hint="run `reconciler hosts test` and retry") from None

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | None,
              log_path: str, user: str | None = None) -> int:
        """Start ``argv`` detached (setsid; own session and group) with ``env``; its pid."""
        if not argv:
            raise TerminalError("empty command", hint="give the service a command to run")
        if user:
            raise TerminalError(f"`user: {user}` is not supported on remote host {self.host}",
                                hint="log in as that user instead: set `user:` on the host")
        command = shlex.join(argv)
        log = quote_path(log_path)
        script = env_script(["true"], env, None).rsplit("exec ", 1)[0] + (
            f"mkdir -p \"$(dirname {log})\"\n"
            + (f"cd {quote_path(cwd)} || {{ echo \"no such directory: {cwd}\" >&2; exit 2; }}\n"
               if cwd else "")
            + f"setsid {command} </dev/null >>{log} 2>&1 &\necho $!\n")
        result = self.run_script(script, timeout=30)
        pid = result.stdout.strip().splitlines()[-1:] if result.ok else []
        if not pid or not pid[0].isdigit():
            raise TerminalError(f"cannot start {argv[0]!r} on {self.host}: "
                                f"{result.stderr.strip() or 'no pid'}",
                                hint="check the command, its cwd and the user on the host")
        return int(pid[0])

    # -- files ------------------------------------------------------------------------------

    def read_file(self, path: str) -> bytes | None:
        quoted = quote_path(path)
        result = self.exec(f"if [ -e {quoted} ]; then cat {quoted}; else exit 3; fi")
        if result.returncode == 3:
            return None
        if not result.ok:
            raise TerminalError(f"cannot read {path} on {self.host}: {result.stderr.strip()}")
        return result.stdout.encode("utf-8", "surrogateescape")

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        quoted = quote_path(path)
        tmp = quote_path(f"{path}.{os.getpid()}.tmp")
        result = self.exec(f"mkdir -p \"$(dirname {quoted})\" && cat > {tmp} && "
                           f"chmod {mode:o} {tmp} && mv -f {tmp} {quoted}", input=data)
        if not result.ok:
            raise TerminalError(f"cannot write {path} on {self.host}: {result.stderr.strip()}")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self._jump is not None:
            self._jump.close()


def _open_or_close(conn: Any) -> None:
    """Open ``conn``; when that fails, close it at once so no paramiko transport thread is
    left running (at exit it would print its own traceback)."""
    try:
        conn.open()
    except BaseException:
        with contextlib.suppress(Exception):
            conn.close()
        raise


def _collect(chan: Any, timeout: float | None) -> CommandResult:
    """Read stdout (here) and stderr (a helper thread) until EOF, then the exit status; at
    ``timeout`` the channel is closed and the answer is 124."""
    chan.settimeout(timeout)
    err: list[bytes] = []

    def read_stderr() -> None:
        with contextlib.suppress(OSError):
            while data := chan.recv_stderr(65536):
                err.append(data)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    out: list[bytes] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while data := chan.recv(65536):
            out.append(data)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError
        reader.join(timeout)
        if not chan.status_event.wait(timeout):
            raise TimeoutError
    except TimeoutError:
        chan.close()
        reader.join(1.0)
        return CommandResult(TIMEOUT_RETURNCODE, _text(out),
                             _text(err) + f"\n(timed out after {timeout:g}s)")
    code = chan.recv_exit_status()
    chan.close()
    return CommandResult(code if code >= 0 else 255, _text(out), _text(err))


def _text(chunks: list[bytes]) -> str:
    return b"".join(chunks).decode("utf-8", errors="surrogateescape")
