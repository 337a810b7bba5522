"""``reconciler import process.NAME@HOST PID`` on a real sshd namespace host (issue 30): a
process started by hand on the host (no reconciler marks) is adopted by pid through the host's
transport; the plan after it is a no-op when it runs what the config says and shows the exact
command diff when it does not; nothing is started or stopped by the import; a replace and a
destroy stop the imported process (found by its recorded pid and start time, not by marks)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.cli import Cli
from infra.netns_hosts import SshHost

SERVICE = """\
  {name}:
    type: remote
    host: {host}
    command: python3 -m http.server {port} --bind 127.0.0.1
    port: {port}
    env: {{LOG_LEVEL: info}}
"""


def _project(directory: Path, host: SshHost, api_extra: str = "") -> None:
    (directory / "services.yaml").write_text(
        f"name: rimport\nhosts:\n  {host.name}:\n    address: {host.address}\n    user: root\n"
        f"    identity_file: {host.key_path}\n    known_hosts: {host.known_hosts_path}\n"
        "services:\n" + SERVICE.format(name="api", host=host.name, port=18081) + api_extra
        + SERVICE.format(name="web", host=host.name, port=18082))


def _start_by_hand(host: SshHost, argv: str) -> int:
    """Start ``argv`` on the host in its own session (no marks), in the login home."""
    out = host.run("sh", "-c", f"'cd && LOG_LEVEL=info setsid {argv} </dev/null >/dev/null "
                   "2>&1 & echo $!'").stdout
    return int(out.strip())


def _alive(host: SshHost, pid: int) -> bool:
    state = host.run(f"cat /proc/{pid}/stat", check=False).stdout
    return bool(state) and state.rpartition(")")[2].split()[0] not in ("Z", "X")


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    project = tmp_path / "rimport"
    project.mkdir()
    yield Cli(project, f"t{os.getpid()}ri")  # the host (and what runs on it) goes with it


def test_import_remote_process_by_pid(ssh_hosts: Callable[[int], list[SshHost]],
                                      cli: Cli) -> None:
    host = ssh_hosts(1)[0]
    _project(cli.project, host)
    api = _start_by_hand(host, "python3 -m http.server 18081 --bind 127.0.0.1")
    web = _start_by_hand(host, "python3 -m http.server 18083 --bind 127.0.0.1")
    api_at, web_at = f"process.api@{host.name}", f"process.web@{host.name}"

    assert f"Imported {api_at}" in cli("import", api_at, str(api)).stdout
    cli("plan", "--detailed-exitcode", "--target", api_at, expect=0)
    facts = json.loads(cli("state", "show", api_at, "--json").stdout)["facts"]
    assert (facts["pid"], facts["imported"], facts["host"]) == (api, True, host.name)

    gone = cli("import", web_at, "999999", expect=1).stderr
    assert f"no running process has pid 999999 on {host.name}" in gone and "hint:" in gone

    cli("import", web_at, str(web))  # runs another port than configured
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    assert ('~ command[2]: "python3 -m http.server 18083 --bind 127.0.0.1" -> '
            '"python3 -m http.server 18082 --bind 127.0.0.1"') in plan, plan
    assert "1 to replace" in plan and "0 to destroy" in plan, plan
    assert _alive(host, api) and _alive(host, web)  # import and plan stopped nothing

    cli("apply", "--auto-approve")  # the replace stops the imported web (it has no marks)
    assert not _alive(host, web) and _alive(host, api)
    cli("plan", "--detailed-exitcode", expect=0)

    _project(cli.project, host, "    shutdown_timeout: 3\n")  # hash-excluded: an UPDATE
    assert "1 to change" in cli("apply", "--auto-approve").stdout
    assert _alive(host, api)  # updated in place: not started a second time beside it
    assert host.run("pgrep -f 'http.server 18081'").stdout.split() == [str(api)]

    cli("destroy", "--auto-approve")
    assert not _alive(host, api)
