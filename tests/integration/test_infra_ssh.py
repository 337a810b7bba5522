"""Smoke tests of the SSH host fixtures: three namespace hosts, each its own machine as far as a
user logging in can tell, reachable from the root namespace and from each other, with strict
host key checking and key-only login."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost, SshHostLab


@pytest.fixture(scope="module")
def hosts(ssh_lab: SshHostLab) -> Iterator[list[SshHost]]:
    made = ssh_lab.make_hosts(3)
    yield made
    for host in made:
        assert ssh_lab.remove(host) == []


def test_each_host_answers_with_its_own_hostname(hosts: list[SshHost]) -> None:
    for host in hosts:
        argv = [
            "ssh", "-i", str(host.key_path),
            "-o", f"UserKnownHostsFile={host.known_hosts_path}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            f"root@{host.address}", "hostname",
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        assert done.stdout.strip() == host.name
    assert len({h.address for h in hosts}) == 3


def test_pgrep_on_a_host_sees_only_its_own_processes(hosts: list[SshHost]) -> None:
    for host in hosts:
        listing = host.run("pgrep -l .").stdout.split("\n")
        procs = {int(line.split()[0]): line.split()[1] for line in listing if line.strip()}
        assert procs[1] == "sshd", procs
        assert set(procs.values()) <= {"sshd", "bash", "sh", "pgrep"}, procs
        assert len(procs) < 10, procs


def test_hosts_reach_each_other_over_ssh(hosts: list[SshHost]) -> None:
    first, *others = hosts
    for other in others:
        nested = " ".join(other.ssh_argv("hostname"))
        assert first.run(nested).stdout.strip() == other.name


def test_srv_is_private_to_each_host(hosts: list[SshHost]) -> None:
    first, second, _ = hosts
    first.run(f"echo {first.name} > /srv/owner")
    assert (first.private_dir / "owner").read_text().strip() == first.name
    assert second.run("ls -A /srv").stdout.strip() == ""


def test_unknown_host_key_is_rejected(hosts: list[SshHost], tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    host = hosts[0]
    done = subprocess.run(
        host.ssh_argv("true", known_hosts=empty), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 255
    assert "Host key verification failed" in done.stderr


def test_changed_host_key_is_rejected(hosts: list[SshHost], tmp_path: Path) -> None:
    first, second, _ = hosts
    lines = first.known_hosts_path.read_text().splitlines()
    second_key = next(line for line in lines if line.startswith(f"{second.address} "))
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(second_key.replace(second.address, first.address, 1) + "\n")
    done = subprocess.run(
        first.ssh_argv("true", known_hosts=wrong), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in done.stderr


def test_password_login_is_refused(hosts: list[SshHost]) -> None:
    argv = hosts[0].ssh_argv("true")
    argv[argv.index("BatchMode=yes")] = "PreferredAuthentications=password"
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 255
    assert "Permission denied" in done.stderr


def test_ssh_hosts_factory_makes_fresh_hosts(ssh_hosts: Callable[[int], list[SshHost]]) -> None:
    (host,) = ssh_hosts(1)
    assert host.run("hostname").stdout.strip() == host.name
    assert Path("/run/netns", host.ns).exists()
