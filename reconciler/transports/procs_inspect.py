"""One process on a remote host, read by pid in one round trip (what ``reconciler import
process.X@HOST PID`` records): its stat line, argv, environment and working directory, the
login user's home, and the host's clock (boot id, boot time, clock ticks) that turns its start
time into a wall-clock time -- the same facts the remote scan
(:mod:`reconciler.transports.procs_remote`) reads for the processes it marks.

argv and environ travel base64-encoded (they hold NUL bytes and may hold newlines).
Read-only: never signals anything.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from reconciler.transports import procfs as proc_scan
from reconciler.transports.base import Transport
from reconciler.transports.procs_remote import HostClock


@dataclass(frozen=True)
class RemoteProc:
    """What the host's /proc shows of one pid (``stat`` None: no such process)."""

    stat: proc_scan.StatFields | None
    argv: list[str]
    environ: dict[str, str]
    cwd: str | None
    home: str
    clock: HostClock
    error: str = ""


def inspect_script(pid: int) -> str:
    d = f"/proc/{pid}"
    return (
        'echo "H $HOME"\n'
        'echo "B $(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"\n'
        "echo \"T $(sed -n 's/^btime //p' /proc/stat)\"\n"
        'echo "K $(getconf CLK_TCK 2>/dev/null || echo 100)"\n'
        f's=$(cat {d}/stat 2>/dev/null) || exit 0\necho "S $s"\n'
        f'echo "A $(base64 < {d}/cmdline | tr -d \'\\n\')"\n'
        f'e=$(base64 < {d}/environ 2>&1 | tr -d \'\\n\') && echo "E $e" || echo "R $e"\n'
        f'c=$(readlink {d}/cwd 2>/dev/null) && echo "C $c"\n'
        "true\n")


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def parse_inspect(text: str) -> RemoteProc:
    """Pure: the inspect script's output -> what the host shows of the pid."""
    tags: dict[str, str] = {}
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        tags.setdefault(tag, rest)
    try:
        stat = proc_scan.parse_stat(tags["S"]) if "S" in tags else None
    except ValueError:
        stat = None
    argv = [a.decode("utf-8", "replace") for a in _decode(tags.get("A", "")).split(b"\0")[:-1]]
    clock = HostClock(tags.get("B", "").strip(),
                      int(tags["T"]) if tags.get("T", "").strip().isdigit() else 0,
                      int(tags["K"]) if tags.get("K", "").strip().isdigit() else 100)
    return RemoteProc(stat, argv, proc_scan.parse_environ(_decode(tags.get("E", ""))),
                      tags.get("C"), tags.get("H", "").strip() or "/", clock,
                      error=tags.get("R", "").strip())


def inspect(transport: Transport, pid: int) -> RemoteProc:
    """One round trip: what the host's /proc shows of ``pid``."""
    result = transport.run_script(inspect_script(pid), timeout=60.0)
    if not result.ok:
        from reconciler.errors import TransientError

        raise TransientError(f"cannot read /proc/{pid} on {transport.host}: "
                             f"{result.stderr.strip() or result.returncode}")
    return parse_inspect(result.stdout)
