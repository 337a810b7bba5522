"""The SSH transport against real sshd namespace hosts: commands, env and cwd, files, detached
spawn, one pooled connection per host, strict host keys (unknown, changed, trust), and a
host that does not answer failing fast and only for itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra.netns_hosts import SshHost

from reconciler.errors import HostUnreachable
from reconciler.model.topology import HostSpec
from reconciler.transports.pool import TransportPool
from reconciler.transports.ssh import SshTransport
from reconciler.transports.ssh_keys import fetch_host_key, record_host_key


def spec_of(host: SshHost, **over: object) -> HostSpec:
    base: dict[str, object] = {"name": host.name, "address": host.address, "port": host.port,
                               "user": host.user, "identity_file": str(host.key_path),
                               "known_hosts": str(host.known_hosts_path),
                               "connect_timeout": 5.0}
    base.update(over)
    return HostSpec(**base)  # type: ignore[arg-type]


@pytest.fixture
def three(ssh_hosts: Callable[[int], list[SshHost]]) -> list[SshHost]:
    return ssh_hosts(3)


@pytest.fixture
def transport(three: list[SshHost]) -> Iterator[SshTransport]:
    t = SshTransport(spec_of(three[0]))
    yield t
    t.close()


def test_run_captures_output_exit_code_env_and_cwd(transport: SshTransport,
                                                    three: list[SshHost]) -> None:
    done = transport.run(["hostname"])
    assert done.ok and done.stdout.strip() == three[0].name
    failed = transport.run(["sh", "-c", "echo oops >&2; exit 7"])
    assert (failed.returncode, failed.stderr.strip()) == (7, "oops")
    env = transport.run(["sh", "-c", 'echo "$GREETING|${HOME:-unset}"; pwd'],
                        env={"GREETING": "it's \"quoted\" $x", "PATH": "/usr/bin:/bin"},
                        cwd="/srv")
    assert env.stdout.splitlines() == ["it's \"quoted\" $x|unset", "/srv"]
    slow = transport.run(["sleep", "5"], timeout=0.5)
    assert slow.returncode == 124


def test_files_round_trip_and_missing_file(transport: SshTransport,
                                           three: list[SshHost]) -> None:
    data = bytes(range(256)) * 4
    transport.write_file("/srv/sub/blob.bin", data, mode=0o600)
    assert (three[0].private_dir / "sub" / "blob.bin").read_bytes() == data
    assert transport.read_file("/srv/sub/blob.bin") == data
    assert transport.read_file("/srv/nope") is None


def test_spawn_detaches_into_its_own_session(transport: SshTransport,
                                             three: list[SshHost]) -> None:
    pid = transport.spawn(["sh", "-c", 'echo "started $MARK"; exec sleep 30'],
                          env={"MARK": "m1", "PATH": "/usr/bin:/bin"}, cwd="/srv",
                          log_path="/srv/logs/sleeper.log")
    try:
        stat = transport.run(["cat", f"/proc/{pid}/stat"]).stdout
        fields = stat.rsplit(")", 1)[1].split()
        assert int(fields[3]) == pid  # session leader: survives the ssh channel
        for _ in range(50):
            if "started m1" in (three[0].private_dir / "logs" / "sleeper.log").read_text():
                break
            time.sleep(0.05)
        assert "started m1" in (three[0].private_dir / "logs" / "sleeper.log").read_text()
    finally:
        transport.run(["kill", "--", f"-{pid}"])


def test_pool_opens_one_connection_per_host_and_counts_round_trips(
        three: list[SshHost]) -> None:
    pool = TransportPool()
    pool.configure_settings({"hosts": {h.name: {
        "address": h.address, "user": "root", "identity_file": str(h.key_path),
        "known_hosts": str(h.known_hosts_path)} for h in three}})
    try:
        first = pool.get(three[0].name)
        assert pool.get(three[0].name) is first
        assert isinstance(first, SshTransport)
        first.run(["true"])
        first.run(["true"])
        assert first.round_trips == 2
        names = {pool.get(h.name).run(["hostname"]).stdout.strip() for h in three}
        assert names == {h.name for h in three}
    finally:
        pool.close()


def test_unknown_host_key_names_host_and_fingerprint_then_trust_records_it(
        three: list[SshHost], tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    spec = spec_of(three[1], known_hosts=str(known))
    with pytest.raises(HostUnreachable) as info:
        SshTransport(spec).connect()
    message = info.value.render()
    assert three[1].name in message and "SHA256:" in message
    assert f"reconciler hosts trust {three[1].name}" in message
    key = fetch_host_key(spec)
    assert key.fingerprint in message
    record_host_key(spec, key)
    ok = SshTransport(spec)
    try:
        assert ok.run(["hostname"]).stdout.strip() == three[1].name
    finally:
        ok.close()


def test_changed_host_key_is_refused(three: list[SshHost], tmp_path: Path) -> None:
    lines = three[0].known_hosts_path.read_text().splitlines()
    other = next(line for line in lines if line.startswith(f"{three[2].address} "))
    wrong = tmp_path / "known_hosts"
    wrong.write_text(other.replace(three[2].address, three[0].address, 1) + "\n")
    with pytest.raises(HostUnreachable, match="CHANGED"):
        SshTransport(spec_of(three[0], known_hosts=str(wrong))).connect()


def test_unreachable_host_fails_fast_and_is_remembered_by_the_pool(
        three: list[SshHost]) -> None:
    pool = TransportPool()
    pool.configure_settings({"hosts": {"ghost": {
        "address": "198.18.0.254", "connect_timeout": 1,
        "known_hosts": str(three[0].known_hosts_path)}}})
    try:
        with pytest.raises(HostUnreachable, match=r"ghost .*unreachable") as first:
            pool.get("ghost")
        with pytest.raises(HostUnreachable) as second:
            pool.get("ghost")
        assert second.value is first.value
    finally:
        pool.close()
