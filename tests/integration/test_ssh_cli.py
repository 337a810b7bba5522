"""`reconciler hosts list/test/facts/trust` and remote `logs` against real namespace hosts,
through the real command line (a subprocess), including an unreachable host and a host whose
key is not yet known."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost


def cli(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(directory), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(ssh_hosts: Callable[[int], list[SshHost]],
            tmp_path: Path) -> tuple[Path, list[SshHost], Path]:
    hosts = ssh_hosts(3)
    fresh = tmp_path / "fresh_known_hosts"
    fresh.write_text("")
    lines = [f"name: cli{uuid.uuid4().hex[:8]}", "hosts:"]
    for i, h in enumerate(hosts):
        known = fresh if i == 2 else h.known_hosts_path
        lines += [f"  {h.name}:", f"    address: {h.address}", "    user: root",
                  f"    identity_file: {h.key_path}", f"    known_hosts: {known}",
                  "    labels: {role: worker}"]
    lines += ["  ghost:", "    address: 198.18.0.254", "    connect_timeout: 1",
              f"    known_hosts: {fresh}",
              "services:",
              f"  echo:\n    type: remote\n    host: {hosts[0].name}\n"
              "    command: sh -c 'echo hello from $(hostname); exec sleep 1000'"]
    (tmp_path / "services.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path, hosts, fresh


def test_hosts_commands(project: tuple[Path, list[SshHost], Path]) -> None:
    directory, hosts, fresh = project
    listed = json.loads(cli(directory, "hosts", "list", "--json").stdout)["hosts"]
    assert {h["name"] for h in listed} == {*(h.name for h in hosts), "ghost"}
    assert all("BEGIN" not in json.dumps(h) for h in listed)  # key paths, never keys

    tested = cli(directory, "hosts", "test")
    assert tested.returncode == 1
    out = tested.stdout
    assert all(f"ok    {h.name}" in out for h in hosts[:2])
    assert "FAIL  ghost" in out and "unreachable" in out
    assert f"FAIL  {hosts[2].name}" in out and "SHA256:" in out
    assert f"reconciler hosts trust {hosts[2].name}" in out

    trusted = cli(directory, "hosts", "trust", hosts[2].name, "--yes")
    assert trusted.returncode == 0, trusted.stderr
    assert "SHA256:" in trusted.stdout and hosts[2].address in fresh.read_text()
    assert cli(directory, "hosts", "test", hosts[2].name).returncode == 0

    facts = json.loads(cli(directory, "hosts", "facts", hosts[1].name, "--json").stdout)
    found = facts["facts"]
    assert found["hostname"] == hosts[1].name and found["os"] == "Linux"
    assert {"arch", "docker", "wireguard"} <= set(found)
    assert any(hosts[1].address + "/" in cidr for cidrs in found["addresses"].values()
               for cidr in cidrs)
    unknown = cli(directory, "hosts", "facts", "nope")
    assert unknown.returncode == 1 and "unknown host 'nope'" in unknown.stderr


def test_apply_with_an_unreachable_host_exits_1_and_logs_come_from_the_host(
        project: tuple[Path, list[SshHost], Path]) -> None:
    directory, hosts, _ = project
    text = (directory / "services.yaml").read_text()
    (directory / "services.yaml").write_text(
        text + "  lost:\n    type: remote\n    host: ghost\n    command: sleep 1000\n")
    applied = cli(directory, "apply", "--auto-approve")
    try:
        assert applied.returncode == 1, applied.stdout + applied.stderr
        assert "unreachable" in applied.stdout + applied.stderr
        logs = cli(directory, "logs", "echo")
        assert logs.returncode == 0, logs.stderr
        assert f"echo@{hosts[0].name} | hello from {hosts[0].name}" in logs.stdout
    finally:
        (directory / "services.yaml").write_text(text)
        cli(directory, "destroy", "--auto-approve")
    assert hosts[0].run("pgrep -x sleep", check=False).returncode == 1
