"""The /proc parsers on captured text, and the scanner over a captured /proc tree."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from reconciler.errors import TerminalError
from reconciler.transports import procfs as proc_scan

FIXTURES = Path(__file__).parent / "fixtures"
SCOPE = "shop"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_parse_stat_with_spaces_and_parens_in_comm() -> None:
    stat = proc_scan.parse_stat(fixture_text("stat_leader.txt"))
    assert stat == proc_scan.StatFields("S", 14177, 14181, 14181, 139957)


def test_parse_stat_of_a_zombie_and_of_a_group_member() -> None:
    zombie = proc_scan.parse_stat(fixture_text("stat_zombie.txt"))
    assert (zombie.state, zombie.starttime) == ("Z", 139999)
    child = proc_scan.parse_stat(fixture_text("stat_child.txt"))
    assert (child.pgrp, child.session, child.starttime) == (14177, 18913, 140030)


@pytest.mark.parametrize("text", ["", "123 (sleep", "1 (x) S 2 3"])
def test_parse_stat_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        proc_scan.parse_stat(text)


def test_parse_environ() -> None:
    env = proc_scan.parse_environ(fixture_bytes("environ_api.bin"))
    assert env["RECONCILER_PROJECT"] == "shop"
    assert env["RECONCILER_ADDRESS"] == "process.api"
    assert env["PORT"] == "8080"
    assert env["PATH"] == "/usr/bin:/bin"
    assert proc_scan.parse_environ(b"") == {}
    assert proc_scan.parse_environ(b"A=1=2\0noequals\0=x\0") == {"A": "1=2"}


def test_parse_btime() -> None:
    assert proc_scan.parse_btime(fixture_text("proc_stat.txt")) == 1795236106
    assert proc_scan.parse_btime("cpu 1 2 3\n") == 0


def test_marked_for_matches_the_exact_scope_only() -> None:
    api = fixture_bytes("environ_api.bin")
    assert proc_scan.marked_for(api, "shop")
    assert not proc_scan.marked_for(api, "sho")
    assert not proc_scan.marked_for(fixture_bytes("environ_other_scope.bin"), "shop")
    assert proc_scan.marked_for(fixture_bytes("environ_other_scope.bin"), "shop_dev")
    assert proc_scan.marked_for(b"RECONCILER_PROJECT=shop", "shop")


def test_owned_processes_keeps_marked_and_drops_secrets_and_bad_entries() -> None:
    raw = [
        (14181, fixture_bytes("environ_api.bin"), fixture_text("stat_leader.txt")),
        (14230, fixture_bytes("environ_other_scope.bin"), fixture_text("stat_child.txt")),
        (7, fixture_bytes("environ_api.bin"), None),          # vanished between reads
        (8, fixture_bytes("environ_api.bin"), "garbage"),     # unreadable stat
        (9, b"", fixture_text("stat_zombie.txt")),            # zombie: empty environ
    ]
    owned = proc_scan.owned_processes(raw, SCOPE)
    assert [p.pid for p in owned] == [14181]
    info = owned[0]
    assert info.address == "process.api"
    assert info.is_leader and info.alive
    assert "DB_PASSWORD" not in info.marks and "PATH" not in info.marks
    assert info.marks["PORT"] == "8080"


def test_scan_reads_a_captured_proc_tree(tmp_path: Path) -> None:
    for pid, environ, stat in [("14181", "environ_api.bin", "stat_leader.txt"),
                               ("14230", "environ_other_scope.bin", "stat_child.txt")]:
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "environ").write_bytes(fixture_bytes(environ))
        (tmp_path / pid / "stat").write_text(fixture_text(stat))
    (tmp_path / "self").mkdir()
    (tmp_path / "55").mkdir()  # a process whose environ we may not read
    (tmp_path / "stat").write_text(fixture_text("proc_stat.txt"))
    assert [p.pid for p in proc_scan.scan(SCOPE, root=str(tmp_path))] == [14181]
    assert [p.pid for p in proc_scan.scan("shop_dev", root=str(tmp_path))] == [14230]
    assert proc_scan.boot_time(root=str(tmp_path)) == 1795236106
    assert proc_scan.is_same_process(14181, 139957, root=str(tmp_path))
    assert not proc_scan.is_same_process(14181, 139958, root=str(tmp_path))  # pid reused
    assert not proc_scan.is_same_process(999, 1, root=str(tmp_path))


def test_parse_signal() -> None:
    assert proc_scan.parse_signal("SIGINT") is signal.SIGINT
    assert proc_scan.parse_signal("term") is signal.SIGTERM
    assert proc_scan.parse_signal("9") is signal.SIGKILL
    with pytest.raises(TerminalError, match="unknown stop signal"):
        proc_scan.parse_signal("SIGNOPE")


class FakeTracker:
    def __init__(self, code: int | None) -> None:
        self.code = code

    def exit_code(self, pid: int) -> int | None:
        return self.code

    def reap(self) -> None:
        return None


def test_exit_reason() -> None:
    rec = {"pid": 10, "boot_id": "b1"}
    assert proc_scan.exit_reason(FakeTracker(None), rec, "b1") == (None, "exited")
    assert proc_scan.exit_reason(FakeTracker(3), rec, "b1") == (3, "exited 3")
    assert proc_scan.exit_reason(FakeTracker(-9), rec, "b1") == (-9, "killed by SIGKILL")
    assert proc_scan.exit_reason(object(), rec, "b2") == (
        None, "not running since the machine rebooted")
