"""The command lines an SSH host is sent: argv, env and cwd turned into one remote shell
command (plus what goes on its stdin), shared by :class:`~reconciler.transports.ssh.SshTransport`
and the observe batch (:mod:`reconciler.transports.batch`), so both send the same thing."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence


def env_script(argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None,
               keep: Sequence[str] = ()) -> str:
    """The ``sh -s`` script that sets ``env`` (complete when given, but for the ``keep``
    names of the login environment) and ``cwd``, then execs ``argv``."""
    lines = ["set -e"]
    if env is not None:
        skip = "".join(f"{k}) ;; " for k in keep)
        lines.append("for v in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do"
                     f" case $v in {skip}*) unset \"$v\" 2>/dev/null || true;; esac; done")
        lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())]
    if cwd:
        lines.append(f"cd {quote_path(cwd)}")
    lines.append("exec " + shlex.join(argv))
    return "\n".join(lines) + "\n"


def quote_path(path: str) -> str:
    """Quote for sh, keeping a leading ``~/`` expandable."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def command_line(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                 cwd: str | None = None,
                 input: bytes | None = None) -> tuple[str, bytes | None]:
    """``(command, stdin)`` that runs ``argv`` with ``env`` and ``cwd`` through the remote
    shell: env and cwd travel in an ``sh -s`` script on stdin when stdin is free, so values
    never appear in a process list."""
    if (env is not None or cwd) and input is None:
        return "sh -s", env_script(argv, env, cwd).encode()
    prefix = f"cd {quote_path(cwd)} && " if cwd else ""
    if env is not None:
        prefix += "env -i " + " ".join(shlex.quote(f"{k}={v}") for k, v in env.items()) + " "
    return prefix + shlex.join(argv), input
