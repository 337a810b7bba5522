"""The state id (issue 28): made once, stable, shared by every store on the same state, kept
by a state an older reconciler made (it gets one when first opened). Both backends."""

from __future__ import annotations

import uuid
from pathlib import Path

from testing.state_backends import Backend


def test_state_id_is_a_uuid_made_once_and_shared(backend: Backend) -> None:
    first = backend.new()
    made = first.state_id()
    assert uuid.UUID(made).version == 4
    assert first.state_id() == made
    second = backend.new()  # another checkout (or process) on the same state
    assert second.state_id() == made
    first.close()
    second.close()
    again = backend.new()
    assert again.state_id() == made
    again.close()


def test_a_state_without_an_id_gets_one_and_keeps_it(backend: Backend) -> None:
    old = backend.new()
    old.begin_run("plan", meta={})  # a state written by an older reconciler: no id row
    old.close()
    assert backend.new().resources() == {}
    backend.sql("DELETE FROM meta WHERE key = 'state_id'")
    fresh = backend.new()
    made = fresh.state_id()
    fresh.close()
    assert backend.new().state_id() == made


def test_push_and_pull_carry_the_id_along(backend: Backend, tmp_path: Path) -> None:
    from reconciler.state import StateStore, transfer

    source = StateStore(tmp_path / "local" / "state.db")
    source.begin_run("apply", meta={})
    dest = backend.new()
    assert dest.state_id() != source.state_id()  # an empty state made elsewhere
    transfer.copy(source, dest)
    assert dest.state_id() == source.state_id()
    dest.close()
    assert backend.new().state_id() == source.state_id()
    source.close()
