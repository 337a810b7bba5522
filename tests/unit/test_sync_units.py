"""The pure parts of `reconciler sync`: durations, --listen, the ssh command, the status
file (history, previous commit, round trip), the agent lock and refusal texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import (
    ConfigError,
    Diagnostic,
    Severity,
    SignatureRefused,
    SourceRange,
    UserError,
)
from reconciler.sync.control import seconds
from reconciler.sync.git import ssh_command
from reconciler.sync.stamp import StampedBus, refusal_text
from reconciler.sync.status import AgentLock, SyncStatus
from reconciler.sync.webhook import parse_listen


@pytest.mark.parametrize(("text", "expected"), [("60", 60.0), ("1s", 1.0), ("2m", 120.0),
                                                ("1h", 3600.0), ("500ms", 0.5)])
def test_durations(text: str, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["soon", "0.01s", ""])
def test_bad_durations_are_user_errors(text: str) -> None:
    with pytest.raises(UserError):
        seconds(text)


def test_listen_parsing() -> None:
    assert parse_listen("127.0.0.1:9419") == ("127.0.0.1", 9419)
    assert parse_listen("[::1]:80") == ("::1", 80)
    for bad in ("9419", "127.0.0.1:", "127.0.0.1:99999", ":80"):
        with pytest.raises(UserError):
            parse_listen(bad)


def test_ssh_command_keeps_strict_host_key_checking(tmp_path: Path) -> None:
    assert ssh_command(None, None) is None
    command = ssh_command(tmp_path / "key", tmp_path / "known")
    assert command is not None
    assert f"UserKnownHostsFile={tmp_path / 'known'}" in command
    assert "StrictHostKeyChecking=yes" in command and "IdentitiesOnly=yes" in command


def test_status_history_previous_and_round_trip(tmp_path: Path) -> None:
    status = SyncStatus(url="file:///r.git", branch="main")
    assert status.previous() is None
    status.mark_synced("a" * 40, "one", "run1")
    assert status.previous() is None
    status.mark_synced("b" * 40, "two", "run2")
    status.mark_synced("b" * 40, "two", "run3")  # the same commit again: one history entry
    assert [h["sha"][0] for h in status.history] == ["a", "b"]
    assert status.previous() == {"sha": "a" * 40, "subject": "one",
                                 "at": status.history[0]["at"]}
    status.refused["c" * 40] = "commit ccc refused"
    status.save(tmp_path)
    loaded = SyncStatus.load(tmp_path)
    assert loaded == status
    assert (tmp_path / "status.json").stat().st_mode & 0o777 == 0o600
    assert SyncStatus.load(tmp_path / "nowhere") == SyncStatus()


def test_history_is_bounded() -> None:
    status = SyncStatus()
    for i in range(50):
        status.mark_synced(f"{i:040d}", str(i), None)
    assert len(status.history) == 20 and status.history[-1]["subject"] == "49"


def test_agent_lock_admits_one_holder(tmp_path: Path) -> None:
    first, second = AgentLock(tmp_path), AgentLock(tmp_path)
    assert not second.busy()
    assert first.try_acquire()
    assert not second.try_acquire() and second.busy()
    holder = second.holder()
    assert holder is not None and isinstance(holder["pid"], int)
    first.release()
    assert second.try_acquire()
    second.release()


def test_refusal_text_names_commit_and_repository_relative_position(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    diagnostic = Diagnostic(Severity.ERROR, "unknown key 'comand'",
                            source=SourceRange(f"{checkout}/deploy/services.yaml", 9, 5))
    text = refusal_text("f" * 40, ConfigError([diagnostic]), checkout)
    assert text.startswith("commit ffffffffffff refused: the configuration is invalid")
    assert "deploy/services.yaml:9:5" in text and str(checkout) not in text
    unsigned = refusal_text("e" * 40, SignatureRefused("commit eee is not signed"), checkout)
    assert unsigned == "commit eeeeeeeeeeee refused: commit eee is not signed"


def test_stamped_bus_adds_the_commit() -> None:
    bus = StampedBus()
    seen: list[dict[str, object]] = []
    bus.subscribe(lambda event: seen.append(dict(event.data)))
    bus.emit("node.start", None, "x")
    bus.commit = "abc"
    bus.emit("node.start", None, "x")
    bus.emit("sync.commit", None, "x", commit="def")
    assert seen == [{}, {"commit": "abc"}, {"commit": "def"}]
