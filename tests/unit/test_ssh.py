"""SSH transport and remote-process pieces that need no host: quoting, the env script (run by a
real local sh), sudo wrapping, the scan/start parsers on captured output, host-side probes,
and observe's placeholders for an unreachable host."""

from __future__ import annotations

import subprocess

from reconciler.engine.diff import compute
from reconciler.engine.observe import unreachable
from reconciler.errors import HostUnreachable
from reconciler.model.changes import Action, Status
from reconciler.model.topology import HostSpec
from reconciler.model.types import Address, DesiredState, HealthCheck, ProbeKind, Resource
from reconciler.transports import procs_remote as proc_remote
from reconciler.transports.ssh import SshTransport, env_script, quote_path

STAT = "4242 (python3 -c x) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0"


def test_env_script_sets_exactly_the_env_and_cwd(tmp_path: object) -> None:
    script = env_script(["sh", "-c", 'echo "$A|$B|${HOME-unset}"; pwd'],
                        {"A": "it's $x", "B": "two\nlines", "PATH": "/usr/bin:/bin"}, "/tmp")
    done = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True,
                          env={"HOME": "/root", "LEAK": "1", "PATH": "/usr/bin:/bin"},
                          check=True)
    assert done.stdout == "it's $x|two\nlines|unset\n/tmp\n"
    kept = env_script(["sh", "-c", 'echo "$HOME"'], {"PATH": "/bin"}, None, keep=("HOME",))
    assert subprocess.run(["sh", "-s"], input=kept, capture_output=True, text=True,
                          env={"HOME": "/root"}, check=True).stdout == "/root\n"


def test_quote_path_keeps_home_expandable() -> None:
    assert quote_path("~") == '"$HOME"'
    assert quote_path("~/a b") == "\"$HOME\"/'a b'"
    assert quote_path("/srv/x;rm") == "'/srv/x;rm'"


def test_sudo_is_explicit() -> None:
    plain = SshTransport(HostSpec("h", "198.18.7.1"))
    root = SshTransport(HostSpec("h", "198.18.7.1", sudo=True))
    assert plain.wrap("id -u") == "id -u"
    assert root.wrap("id -u") == "sudo -n -- sh -c 'id -u'"


def test_scan_output_is_parsed_into_owned_processes() -> None:
    text = ("B 1234-boot\nT 1700000000\nK 100\n"
            f"P 4242\nS {STAT}\nE RECONCILER_PROJECT=shop\nE RECONCILER_ADDRESS=process.api@h1\n"
            "E RECONCILER_SPEC_HASH=abc\nE PORT=8080\n"
            f"P 5000\nS {STAT.replace('4242', '5000', 1)}\nE RECONCILER_PROJECT=other\n")
    procs, clock = proc_remote.parse_scan(text, "shop")
    assert [(p.pid, p.address, p.marks["PORT"], p.stat.starttime) for p in procs] == [
        (4242, "process.api@h1", "8080", 777)]
    assert procs[0].is_leader
    assert clock == proc_remote.HostClock("1234-boot", 1700000000, 100)


def test_start_output_says_running_or_exit_code_with_log_tail() -> None:
    ok = proc_remote.parse_start(f"P 4242\nS {STAT}\n")
    assert ok.pid == 4242 and ok.stat is not None and ok.stat.starttime == 777
    dead = proc_remote.parse_start("P 99\nX 3\nL --- reconciler: t start process.api@h1\n"
                                   "L boom\nL bad config\n")
    assert (dead.pid, dead.stat, dead.exit_code, dead.log_tail) == (99, None, 3,
                                                                   "boom\nbad config")


def test_scripts_are_valid_sh() -> None:
    scripts = [proc_remote.scan_script("shop"),
               proc_remote.stop_script("shop", "process.api@h1", "TERM", 2.0),
               proc_remote.start_script(["sleep", "1"], {"A": "1"}, "~", "~/x.log", "h", 0.4),
               proc_remote.task_script(["true"], {}, None, "~/x.log", "h"),
               proc_remote.probe_script(HealthCheck(ProbeKind.TCP, "127.0.0.1:1")),
               proc_remote.probe_script(HealthCheck(ProbeKind.HTTP, "http://localhost:1/"))]
    for script in scripts:
        subprocess.run(["sh", "-n"], input=script, text=True, check=True)


def test_only_localhost_checks_run_on_the_host() -> None:
    assert proc_remote.runs_on_host(HealthCheck(ProbeKind.TCP, "127.0.0.1:80"))
    assert proc_remote.runs_on_host(HealthCheck(ProbeKind.HTTP, "http://localhost:8/x"))
    assert not proc_remote.runs_on_host(HealthCheck(ProbeKind.TCP, "198.18.7.1:80"))
    assert not proc_remote.runs_on_host(HealthCheck(ProbeKind.COMMAND, "true"))


def test_unreachable_host_becomes_a_failing_update_for_its_resources_only() -> None:
    api = Resource(Address("process", "api", "h1"), {"command": ["serve"]})
    web = Resource(Address("process", "web"), {"command": ["web"]})
    error = HostUnreachable("host h1 (198.18.7.1:22) unreachable: timed out", hint="check")
    seen = unreachable([api], {Address("process", "old", "h1"): {"status": "running",
                                                                 "spec_hash": "x"}}, error)
    assert seen[api.address].status is Status.MISSING
    assert seen[Address("process", "old", "h1")].status is Status.RUNNING
    changes = compute(DesiredState("p", {api.address: api, web.address: web}), seen, {})
    by = {str(c.address): c for c in changes}
    assert by["process.api@h1"].action is Action.UPDATE
    assert "host unreachable" in by["process.api@h1"].reason_text()
    assert by["process.web"].action is Action.CREATE
    assert by["process.old@h1"].action is Action.DELETE
