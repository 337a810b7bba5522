"""What ``import process.X@HOST PID`` reads on the host (reconciler/transports/procs_inspect.py)
and how a running argv is compared with a configured string command
(reconciler/actuators/process/adopt.py); the round trip itself:
tests/integration/test_import_remote_process.py."""

from __future__ import annotations

import base64
import subprocess

from reconciler.actuators.process.adopt import _as_written, _same_argv
from reconciler.transports import procs_inspect
from reconciler.transports import procs_remote as proc_remote

STAT = "4242 (python3 x) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_inspect_output_is_parsed() -> None:
    argv, environ = _b64(b"python3\0-m\0http.server\0"), _b64(b"LOG_LEVEL=info\0A=b\nc\0")
    text = (f"H /root\nB boot-1\nT 1700000000\nK 100\nS {STAT}\n"
            f"A {argv}\nE {environ}\nC /srv/app\n")
    seen = procs_inspect.parse_inspect(text)
    assert seen.stat is not None and (seen.stat.pgrp, seen.stat.starttime) == (4242, 777)
    assert seen.argv == ["python3", "-m", "http.server"]
    assert seen.environ == {"LOG_LEVEL": "info", "A": "b\nc"}
    assert (seen.cwd, seen.home, seen.error) == ("/srv/app", "/root", "")
    assert seen.clock == proc_remote.HostClock("boot-1", 1700000000, 100)


def test_a_missing_pid_or_an_unreadable_environ_is_told() -> None:
    assert procs_inspect.parse_inspect("H /root\nB b\nT 1\nK 100\n").stat is None
    argv = _b64(b"x\0")
    denied = procs_inspect.parse_inspect(f"H /\nS {STAT}\nA {argv}\n"
                                         "R base64: Permission denied\n")
    assert denied.error == "base64: Permission denied" and denied.environ == {}


def test_scripts_are_valid_sh() -> None:
    for script in (procs_inspect.inspect_script(42), proc_remote.scan_script("s", [42, 43]),
                   proc_remote.stop_script("s", "process.a@h", "TERM", 1.0, (42, 777))):
        subprocess.run(["sh", "-n"], input=script, text=True, check=True)


def test_the_scan_reports_looked_up_pids() -> None:
    found = proc_remote.parse_looked_up(f"B x\nJ 4242 {STAT}\nJ 7 garbage\nP 1\n")
    assert list(found) == [4242] and found[4242].starttime == 777


def test_a_plain_string_command_is_the_argv_its_shell_execs() -> None:
    shell = ["/bin/sh", "-c", "python3 -m http.server 80"]
    assert _same_argv(shell, ["/usr/bin/python3", "-m", "http.server", "80"])
    assert not _same_argv(shell, ["python3", "-m", "http.server", "81"])
    assert not _same_argv(["/bin/sh", "-c", "python3 x > log"], ["python3", "x"])
    assert _as_written(shell, ["/usr/bin/python3", "-m", "http.server", "81"]) == [
        "/bin/sh", "-c", "python3 -m http.server 81"]
    assert _as_written(["python3", "y"], ["/usr/bin/python3", "x"]) == ["/usr/bin/python3", "x"]
