"""Processes on a remote host: the process and task actuators over any non-local transport.

Every operation is ONE round trip: a small POSIX sh script sent through ``transport.run_script``
(or ``sh -s`` through ``transport.run``) that does the whole job on the host.

* :func:`scan` — the marked processes of a scope (pid, stat line with start time and pgid,
  the kept marks) plus the host's boot id, boot time and clock ticks; parsed by
  :func:`parse_scan` into the same :class:`~reconciler.transports.procfs.ProcInfo` the local
  /proc scanner gives, so identity (pid + start time) and adoption work the same.
* :func:`start` — env, cwd, log header, ``setsid`` detached start, a short early-exit window,
  then the new process's stat line — or its exit code and log tail when it died at once.
* :func:`stop` — signal every process group holding a process marked with the address, wait
  ``timeout`` seconds, then SIGKILL what is left; repeated for anything forked meanwhile.
* :func:`probe` — tcp/http readiness run ON the host (for 127.0.0.1/localhost targets).

Logs and other files live in a per-project state dir on the host, :func:`state_dir`.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.model.changes import Health, HealthStatus
from reconciler.model.types import HealthCheck, ProbeKind
from reconciler.transports import procfs as proc_scan
from reconciler.transports.base import CommandResult, Transport
from reconciler.transports.ssh_command import env_script, quote_path

MARKS = "|".join(sorted(proc_scan.KEPT_VARS))
LOCAL_TARGETS = frozenset({"127.0.0.1", "localhost", "::1", ""})


def state_dir(scope: str) -> str:
    """Where a project keeps logs on a host (``~`` is the login user's home)."""
    return f"~/.local/state/reconciler/{scope}"


def log_path(scope: str, name: str) -> str:
    return f"{state_dir(scope)}/logs/{name}.log"


def _run(transport: Transport, script: str, timeout: float | None = 60.0) -> CommandResult:
    return transport.run_script(script, timeout=timeout)


# -- observe ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HostClock:
    """What turns a start time in ticks into a wall-clock time on that host."""

    boot_id: str = ""
    btime: int = 0
    ticks: int = 100


def _scan_fn(scope: str) -> str:
    needle = shlex.quote(f"{proc_scan.PROJECT_VAR}={scope}")
    return (f"scan() {{ grep -lzx {needle} /proc/[0-9]*/environ 2>/dev/null; }}\n")


def scan_script(scope: str, pids: Sequence[int] = ()) -> str:
    """The scan; ``pids`` (processes ``import`` adopted: unmarked) are looked up by pid."""
    looked = "".join(f's=$(cat /proc/{int(p)}/stat 2>/dev/null) && echo "J {int(p)} $s"\n'
                     for p in pids)
    return _scan_fn(scope) + looked + (
        'echo "B $(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"\n'
        "echo \"T $(sed -n 's/^btime //p' /proc/stat)\"\n"
        'echo "K $(getconf CLK_TCK 2>/dev/null || echo 100)"\n'
        "for f in $(scan); do d=${f%/environ}; s=$(cat \"$d/stat\" 2>/dev/null) || continue\n"
        '  echo "P ${d#/proc/}"; echo "S $s"\n'
        f"  tr '\\0' '\\n' < \"$f\" 2>/dev/null | grep -E '^({MARKS})=' | sed 's/^/E /'\n"
        "done\n")


def parse_scan(text: str, scope: str) -> tuple[list[proc_scan.ProcInfo], HostClock]:
    """Pure: the scan script's output -> live owned processes and the host's clock."""
    raw: list[tuple[int, bytes, str | None]] = []
    clock = {"B": "", "T": "0", "K": "100"}
    pid, stat = 0, None
    env: list[bytes] = []
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        if tag in clock:
            clock[tag] = rest.strip()
        elif tag == "P":
            if pid:
                raw.append((pid, b"\0".join(env), stat))
            pid, stat = int(rest), None
            env = []
        elif tag == "S":
            stat = rest
        elif tag == "E":
            env.append(rest.encode())
    if pid:
        raw.append((pid, b"\0".join(env), stat))
    procs = [p for p in proc_scan.owned_processes(raw, scope) if p.alive]
    ticks = int(clock["K"]) if clock["K"].isdigit() else 100
    return procs, HostClock(clock["B"], int(clock["T"]) if clock["T"].isdigit() else 0, ticks)


def parse_looked_up(text: str) -> dict[int, proc_scan.StatFields]:
    """Pure: the stat lines of the pids the scan looked up (``J <pid> <stat>``)."""
    found: dict[int, proc_scan.StatFields] = {}
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        pid, _, stat = rest.partition(" ")
        if tag == "J" and pid.isdigit():
            try:
                found[int(pid)] = proc_scan.parse_stat(stat)
            except ValueError:
                continue
    return found


def scan(transport: Transport, scope: str) -> tuple[list[proc_scan.ProcInfo], HostClock]:
    """One round trip: every live process of ``scope`` on the host."""
    procs, clock, _ = scan_with(transport, scope, ())
    return procs, clock


def scan_with(transport: Transport, scope: str, pids: Sequence[int]) -> tuple[
        list[proc_scan.ProcInfo], HostClock, dict[int, proc_scan.StatFields]]:
    """:func:`scan`, and the stat of each of ``pids`` still alive (same round trip)."""
    result = _run(transport, scan_script(scope, pids))
    from reconciler.errors import TransientError

    if not result.ok:
        raise TransientError(f"cannot list processes on {transport.host}: "
                             f"{result.stderr.strip() or result.returncode}")
    procs, clock = parse_scan(result.stdout, scope)
    return procs, clock, parse_looked_up(result.stdout)


# -- start ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Started:
    pid: int
    stat: proc_scan.StatFields | None  # None: it died in the early-exit window
    exit_code: int | None = None
    log_tail: str = ""


def _prelude(env: Mapping[str, str], cwd: str | None, log: str, header: str) -> str:
    """Set the env (login HOME/USER kept), open the log with a start header, enter cwd."""
    prelude = env_script(["true"], env, None, keep=("HOME", "USER", "LOGNAME")
                         ).rsplit("exec ", 1)[0].replace("set -e\n", "", 1)
    q = quote_path(log)
    return prelude + (
        f"mkdir -p \"$(dirname {q})\"\n"
        f"if [ -f {q} ] && [ \"$(wc -c < {q})\" -gt 10485760 ]; then mv -f {q} {q}.1; fi\n"
        f"echo {shlex.quote(header)} >> {q}\n"
        + (f"cd {quote_path(cwd)} || {{ echo \"no such directory: {cwd}\" >&2; exit 2; }}\n"
           if cwd else ""))


def task_script(argv: Sequence[str], env: Mapping[str, str], cwd: str | None, log: str,
                header: str) -> str:
    """Run to completion in its own session; the last line says ``X <exit code>``."""
    q = quote_path(log)
    return _prelude(env, cwd, log, header) + (
        f"setsid {shlex.join(argv)} </dev/null >>{q} 2>&1\necho \"X $?\"\n")


def start_script(argv: Sequence[str], env: Mapping[str, str], cwd: str | None, log: str,
                 header: str, window: float) -> str:
    q = quote_path(log)
    return _prelude(env, cwd, log, header) + (
        f"setsid {shlex.join(argv)} </dev/null >>{q} 2>&1 &\npid=$!\necho \"P $pid\"\n"
        f"sleep {window:g}\n"
        "s=$(cat /proc/$pid/stat 2>/dev/null)\n"
        'case "${s##*) }" in Z*|"") wait $pid; echo "X $?"; '
        f"tail -n 20 {q} | sed 's/^/L /';;\n"
        '  *) echo "S $s";; esac\n')


def parse_start(text: str) -> Started:
    pid, stat, code, tail = 0, None, None, []
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "P" and rest.strip().isdigit():
            pid = int(rest)
        elif tag == "S":
            try:
                stat = proc_scan.parse_stat(rest)
            except ValueError:
                stat = None
        elif tag == "X" and rest.strip().lstrip("-").isdigit():
            code = int(rest)
        elif tag == "L":
            tail.append(rest)
    body = "\n".join(tail).rsplit("--- reconciler: ", 1)[-1].split("\n", 1)[-1] \
        if any("--- reconciler: " in t for t in tail) else "\n".join(tail)
    return Started(pid, stat, code, body.strip("\n") or "(the log is empty)")


def start(transport: Transport, argv: Sequence[str], env: Mapping[str, str], cwd: str | None,
          log: str, header: str, window: float) -> Started:
    """One round trip: start detached, wait ``window`` seconds, report how it went."""
    from reconciler.errors import TerminalError

    result = _run(transport, start_script(argv, env, cwd, log, header, window))
    started = parse_start(result.stdout)
    if not started.pid:
        raise TerminalError(f"cannot start {argv[0]!r} on {transport.host}: "
                            f"{result.stderr.strip() or f'exit {result.returncode}'}",
                            hint="check the command and its working directory on the host")
    return started


# -- stop -------------------------------------------------------------------------------------

def stop_script(scope: str, address: str, sig: str, timeout: float,
                imported: tuple[int, int] | None = None) -> str:
    """Stop the groups of the address's marked processes, and the group the unmarked
    ``imported`` process (pid, start time) leads while it is the same process."""
    mark = shlex.quote(f"{proc_scan.ADDRESS_VAR}={address}")
    extra = "" if imported is None else (
        f"s=$(cat /proc/{int(imported[0])}/stat 2>/dev/null) && set -- ${{s##*) }} && "
        f'[ "${{20}}" = {int(imported[1])} ] && [ "$1" != Z ] && echo "$3"; ')
    return _scan_fn(scope) + (
        "groups() { { for f in $(scan); do\n"
        f"  tr '\\0' '\\n' < \"$f\" 2>/dev/null | grep -qxF {mark} || continue\n"
        '  s=$(cat "${f%/environ}/stat" 2>/dev/null) || continue; set -- ${s##*) }\n'
        f'  [ "$1" = Z ] || echo "$3"; done; {extra}true; }} | sort -u; }}\n'
        "killed=0\n"
        f"for n in {max(1, round(timeout * 10))} 10 10; do\n"
        '  g=$(groups); [ -z "$g" ] && break\n'
        f'  for x in $g; do kill -s {sig} -- -$x 2>/dev/null; done\n'
        '  i=0; while [ $i -lt $n ] && [ -n "$(groups)" ]; do sleep 0.1; i=$((i+1)); done\n'
        '  g=$(groups); [ -z "$g" ] && break\n'
        '  for x in $g; do kill -s KILL -- -$x 2>/dev/null; killed=$((killed+1)); done\n'
        "  sleep 0.2\ndone\necho \"K $killed\"\n")


def stop(transport: Transport, scope: str, address: str, sig: int, timeout: float,
         imported: tuple[int, int] | None = None) -> int:
    """One round trip: stop every group of the address; answer how many were SIGKILLed."""
    import signal

    name = signal.Signals(sig).name.removeprefix("SIG")
    result = _run(transport, stop_script(scope, address, name, timeout, imported),
                  timeout=timeout + 30.0)
    for line in result.stdout.splitlines():
        if line.startswith("K ") and line[2:].strip().isdigit():
            return int(line[2:])
    from reconciler.errors import TransientError

    raise TransientError(f"cannot stop {address} on {transport.host}: "
                         f"{result.stderr.strip() or result.returncode}")


# -- health -----------------------------------------------------------------------------------

def runs_on_host(check: HealthCheck) -> bool:
    """tcp/http checks of 127.0.0.1 / localhost mean the host itself."""
    if check.kind is ProbeKind.TCP:
        host = check.target.strip().rpartition(":")[0].strip("[]")
        return host in LOCAL_TARGETS
    if check.kind is ProbeKind.HTTP:
        from urllib.parse import urlsplit

        return (urlsplit(check.target).hostname or "") in LOCAL_TARGETS
    return False


def probe_script(check: HealthCheck) -> str:
    t = max(1, round(check.timeout))
    if check.kind is ProbeKind.TCP:
        host, _, port = check.target.strip().rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        h, p = shlex.quote(host), shlex.quote(port)
        py = shlex.quote(f"import socket; socket.create_connection(({host!r}, {port}), {t})")
        return (f"if command -v python3 >/dev/null; then python3 -c {py}\n"
                f"elif command -v nc >/dev/null; then nc -z -w {t} {h} {p}\n"
                f"else timeout {t} bash -c \"exec 3<>/dev/tcp/{host}/{port}\"; fi\n")
    url = shlex.quote(check.target)
    py = shlex.quote("import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout="
                     f"{t}); print('ok')")
    return (f"if command -v python3 >/dev/null; then python3 -c {py} {url}\n"
            f"elif command -v curl >/dev/null; then curl -fsS -o /dev/null -m {t} {url}\n"
            f"else wget -q -O /dev/null -T {t} {url}; fi\n")


def probe(check: HealthCheck, transport: Transport) -> Health:
    """Run a tcp/http probe on the host; exit 0 is healthy."""
    result = _run(transport, probe_script(check), timeout=check.timeout + 10.0)
    where = f"{check.kind.value} {check.target} (from {transport.host})"
    if result.ok:
        return Health(HealthStatus.HEALTHY, f"{where} answers")
    last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no answer"]
    return Health(HealthStatus.UNHEALTHY, f"{where}: {last[0]}")
