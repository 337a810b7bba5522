"""The apply engine against the fake actuator: ordering, gates, failures, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing import FakeActuator

from reconciler.actuators.base import ActuatorContext
from reconciler.engine import diff
from reconciler.engine.apply import Applier, ApplyResult
from reconciler.engine.plan import build as build_plan
from reconciler.events import EventBus
from reconciler.model.types import (
    Address,
    Condition,
    Dependency,
    DesiredState,
    HealthCheck,
    ProbeKind,
    Resource,
)
from reconciler.state import StateStore
from reconciler.transports.local import LocalTransport


def res(name: str, *deps: str, cond: Condition = Condition.HEALTHY, health: bool = True,
        order: int = 0, **spec: object) -> Resource:
    check = HealthCheck(ProbeKind.COMMAND, "true", interval=0.01, retries=1) if health else None
    return Resource(Address("fake", name), {"command": ["run", name], **spec},
                    depends_on=tuple(Dependency(Address("fake", d), cond) for d in deps),
                    health=check, order=order)


def desired(*resources: Resource) -> DesiredState:
    return DesiredState("demo", {r.address: r for r in resources})


class Harness:
    def __init__(self, tmp_path: Path):
        self.fake = FakeActuator()
        self.store = StateStore(tmp_path / "state.db")
        self.events = EventBus()
        self.seen: list[tuple[str, str | None]] = []
        self.events.subscribe(lambda e: self.seen.append((e.kind, e.address)))
        self.ctx = ActuatorContext("demo", "demo", tmp_path, LocalTransport(), self.events)

    def plan(self, state: DesiredState):  # type: ignore[no-untyped-def]
        records = self.store.resources()
        observed = self.fake.observe(list(state.resources.values()), {}, self.ctx)
        changes = diff.compute(state, observed, {a: r.spec for a, r in records.items()})
        return build_plan(changes, state,
                          recorded_depends={a: r.depends_on for a, r in records.items()})

    def apply(self, state: DesiredState, parallelism: int = 4) -> ApplyResult:
        plan = self.plan(state)
        run_id = self.store.begin_run("apply", meta={})
        return Applier(plan, state, {"fake": self.fake}, lambda a: self.ctx, self.store,
                       run_id, self.events, parallelism=parallelism,
                       sleep=lambda s: None).run()


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_plan_apply_plan_is_idempotent(h: Harness) -> None:
    state = desired(res("db", order=0), res("api", "db", order=1), res("web", "api", order=2))
    result = h.apply(state)
    assert result.ok and result.count("applied") == 3
    assert not h.plan(state).has_changes
    assert set(h.store.resources()) == set(state.resources)


def test_dependencies_start_after_dependency_is_healthy(h: Harness) -> None:
    h.apply(desired(res("db"), res("api", "db", order=1)))
    calls = h.fake.calls
    assert calls.index(("health", "fake.db")) < calls.index(("create", "fake.api"))


def test_failure_skips_dependants_but_not_independent_branches(h: Harness) -> None:
    h.fake.fail.add("fake.db")
    state = desired(res("db"), res("api", "db", order=1), res("cache", order=2))
    result = h.apply(state)
    assert not result.ok
    assert result.results["fake.db"].outcome == "failed"
    assert result.results["fake.api"].outcome == "skipped"
    assert "fake.db" in result.results["fake.api"].message
    assert result.results["fake.cache"].outcome == "applied"
    assert [r.address for r in result.root_causes()] == ["fake.db"]
    assert set(h.store.resources()) == {Address("fake", "cache")}


def test_unhealthy_dependency_fails_and_blocks_dependant(h: Harness) -> None:
    h.fake.unhealthy.add("fake.db")
    state = desired(res("db", startup_timeout=0.0), res("api", "db", order=1))
    result = h.apply(state)
    assert result.results["fake.db"].outcome == "failed"
    assert "not healthy" in result.results["fake.db"].message
    assert result.results["fake.api"].outcome == "skipped"


def test_service_started_condition_does_not_wait_for_health(h: Harness) -> None:
    h.fake.unhealthy.add("fake.db")
    state = desired(res("db", startup_timeout=0.0),
                    res("api", "db", cond=Condition.STARTED, order=1, health=False))
    result = h.apply(state)
    assert result.results["fake.api"].outcome == "applied"


def test_transient_errors_are_retried(h: Harness) -> None:
    h.fake.transient["fake.db"] = 2
    assert h.apply(desired(res("db"))).ok
    assert h.fake.calls.count(("create", "fake.db")) == 3
    assert ("node.retry", "fake.db") in h.seen


def test_spec_change_replaces_only_the_changed_resource(h: Harness) -> None:
    h.apply(desired(res("db"), res("api", "db", order=1)))
    h.fake.calls.clear()
    changed = desired(res("db"), res("api", "db", order=1, env={"LOG": "debug"}))
    plan = h.plan(changed)
    assert [(c.action.verb, str(c.address)) for c in plan.actionable()] == \
        [("replace", "fake.api")]
    assert h.apply(changed).ok
    assert [c for c in h.fake.calls if c[0] != "health"] == [("replace", "fake.api")]


def test_deleting_orphans_removes_dependants_first(h: Harness) -> None:
    h.apply(desired(res("db"), res("api", "db", order=1)))
    h.fake.calls.clear()
    result = h.apply(desired())
    assert result.ok
    deletes = [c for c in h.fake.calls if c[0] == "delete"]
    assert deletes == [("delete", "fake.api"), ("delete", "fake.db")]
    assert h.store.resources() == {}


def test_parallelism_one_still_completes_a_wide_plan(h: Harness) -> None:
    state = desired(*[res(f"s{i}", order=i) for i in range(12)])
    assert h.apply(state, parallelism=1).count("applied") == 12


def test_a_bug_in_an_actuator_is_an_internal_error_with_exit_3(h: Harness, capsys) -> None:  # type: ignore[no-untyped-def]
    from reconciler.cli.common import exit_code_for
    from reconciler.cli.plan_run import raise_for_failures
    from reconciler.errors import InternalError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("oops")

    h.fake.apply = broken  # type: ignore[method-assign]
    result = h.apply(desired(res("a", health=False), res("b", health=False)))
    assert not result.ok
    failed = result.results["fake.a"]
    assert "internal error" in failed.message and isinstance(failed.error, KeyError)
    with pytest.raises(InternalError) as caught:
        raise_for_failures(result, "apply")
    assert isinstance(caught.value.__cause__, KeyError)
    assert exit_code_for(caught.value) == 3
    err = capsys.readouterr().err
    assert "please report" in err and "Traceback" not in err
    report = Path(err.split("crash report (attach it to the issue): ")[1].split()[0])
    assert "KeyError: 'oops'" in report.read_text()
