"""Which addresses the service verbs mean, and the holds in the state store (pure / SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine.support import explain_held, without_held
from reconciler.errors import UserError
from reconciler.model.changes import Action, Change
from reconciler.model.types import Address, Dependency, DesiredState, Resource
from reconciler.state import StateStore
from reconciler.workflows.verbs import dependants, exec_argv, needs, plan_stop, resolve

DB, API, WEB = Address("process", "db"), Address("process", "api"), Address("process", "web")


def desired() -> DesiredState:
    def res(address: Address, *deps: Address) -> Resource:
        return Resource(address, {"command": ["x"]},
                        depends_on=tuple(Dependency(d) for d in deps))
    return DesiredState("p", {DB: res(DB), API: res(API, DB), WEB: res(WEB, API)})


def test_resolve_by_name_or_address_and_unknown_names() -> None:
    state = desired()
    assert resolve(state, ["api", "process.db"]) == [API, DB]
    assert resolve(state, []) == [API, DB, WEB]
    with pytest.raises(UserError, match="no service named 'nope'"):
        resolve(state, ["nope"])


def test_needs_and_dependants_are_transitive() -> None:
    state = desired()
    assert set(needs(state, [WEB])) == {WEB, API, DB}
    assert dependants(state, [DB]) == [API, WEB]


def test_stop_refuses_without_force_when_others_need_it() -> None:
    with pytest.raises(UserError, match=r"still needed by process\.api, process\.web"):
        plan_stop(desired(), ["db"], (), force=False)
    assert plan_stop(desired(), ["db", "api", "web"], (), force=False).orphans == []
    assert plan_stop(desired(), ["db"], ("process.web",), force=True).orphans == [API]


def test_held_services_leave_the_desired_state_and_say_why() -> None:
    held = {"process.db": {"who": "me"}}
    assert DB not in without_held(desired(), held).resources
    change = Change(DB, Action.DELETE, before=None, after=None)
    (explained,) = explain_held([change], held)
    assert "held by `reconciler stop`" in explained.reasons[0].message


def test_exec_argv_drops_the_separator() -> None:
    assert exec_argv(["--", "sh", "-c", "true"]) == ["sh", "-c", "true"]
    with pytest.raises(UserError):
        exec_argv(["--"])


def test_holds_persist_and_are_audited(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    store.hold(DB, who="me@here")
    assert StateStore(tmp_path / "state.db").holds()["process.db"]["who"] == "me@here"
    assert store.release(DB) and not store.release(DB)
    assert store.holds() == {}
    kinds = [e["kind"] for e in store.events()]
    assert "state.hold" in kinds and "state.release" in kinds


def test_status_watch_prints_a_line_per_change() -> None:
    from reconciler.cli.status_watch import changes

    seen, lines = changes({}, [{"address": "process.api", "state": "running",
                                "health": "healthy"}])
    assert lines == ["process.api: running (healthy)"]
    seen, lines = changes(seen, [{"address": "process.api", "state": "running",
                                  "health": "healthy"}])
    assert lines == []
    _, lines = changes(seen, [{"address": "process.api", "state": "exited", "health": None}])
    assert lines == ["process.api: running (healthy) -> exited"]
    assert changes(seen, [])[1] == ["process.api: running (healthy) -> gone"]


def test_shell_completion_completes_commands() -> None:
    import os
    import subprocess
    import sys

    script = str(Path(sys.executable).parent / "reconciler")  # the console script's name counts
    env = {**os.environ, "COMP_WORDS": "reconciler sta", "COMP_CWORD": "1",
           "_RECONCILER_COMPLETE": "complete_bash"}
    done = subprocess.run([script], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert {"start", "status", "state"} <= set(done.stdout.split())
    shown = subprocess.run([script, "--show-completion", "bash"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0 and "_reconciler_completion" in shown.stdout
