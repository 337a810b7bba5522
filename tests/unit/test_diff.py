"""diff.compute: one rule per test, on hand-built desired state and observations."""

from __future__ import annotations

from typing import Any

from reconciler.engine import diff
from reconciler.errors import SourceRange
from reconciler.model.changes import Action, Change, FieldDiff, Observed, ReasonCode, Status
from reconciler.model.secrets import marker
from reconciler.model.types import Address, DesiredState, Resource, spec_hash

API = Address("process", "api")
DB = Address("process", "db")


def spec(**extra: Any) -> dict[str, Any]:
    return {"command": ["python3", "-m", "http.server", "8000"], "cwd": ".",
            "env": {"LOG_LEVEL": "info"}, "port": 8000, "shutdown_timeout": 10, **extra}


def res(address: Address, order: int = 0, **extra: Any) -> Resource:
    return Resource(address, spec(**extra), source=SourceRange("services.yaml", 3 + order, 3),
                    order=order)


def state(*resources: Resource) -> DesiredState:
    return DesiredState("demo", {r.address: r for r in resources})


def running(resource: Resource, **kw: Any) -> Observed:
    return Observed(resource.address, Status.RUNNING, kw.pop("spec_hash", resource.hash()), **kw)


def one(changes: list[Change]) -> Change:
    assert len(changes) == 1
    return changes[0]


def test_new_resource_is_created() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {}, {}))
    assert (c.action, c.reasons[0].code, c.reason_text()) == (Action.CREATE, ReasonCode.NEW, "new")
    assert c.before is None and c.after == r.spec
    assert c.source == SourceRange("services.yaml", 3, 3) and c.field_diffs == ()


def test_recorded_but_not_observed_is_drift() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {}, {API: r.spec}))
    assert c.action is Action.CREATE
    assert c.reason_text() == "drift: not running (missing)"
    assert c.reasons[0].code is ReasonCode.DRIFT


def test_missing_status_is_drift() -> None:
    r = res(API)
    seen = Observed(API, Status.MISSING, r.hash())
    assert one(diff.compute(state(r), {API: seen}, {API: r.spec})).reason_text() == \
        "drift: not running (missing)"


def test_exited_process_is_recreated_with_its_reason() -> None:
    r = res(API)
    seen = Observed(API, Status.EXITED, r.hash(), exit_code=1, reason="exited 1")
    c = one(diff.compute(state(r), {API: seen}, {API: r.spec}))
    assert (c.action, c.reason_text()) == (Action.CREATE, "drift: exited 1")


def test_exited_without_reason_says_exited() -> None:
    r = res(API)
    seen = Observed(API, Status.EXITED, r.hash())
    assert one(diff.compute(state(r), {API: seen}, {API: r.spec})).reason_text() == \
        "drift: exited"


def test_exited_container_is_replaced() -> None:
    address = Address("container", "db")
    r = Resource(address, {"image": "busybox"})
    seen = Observed(address, Status.EXITED, r.hash(), reason="OOM killed")
    c = one(diff.compute(state(r), {address: seen}, {address: r.spec}))
    assert (c.action, c.reason_text()) == (Action.REPLACE, "drift: OOM killed")


def test_completed_task_with_same_spec_is_noop() -> None:
    address = Address("task", "setup")
    r = Resource(address, {"command": ["true"]})
    seen = Observed(address, Status.COMPLETED, r.hash())
    c = one(diff.compute(state(r), {address: seen}, {address: r.spec}))
    assert c.action is Action.NOOP and c.reasons == ()


def test_task_never_run_or_run_for_another_spec_is_pending() -> None:
    address = Address("task", "setup")
    r = Resource(address, {"command": ["true"]})
    fresh = one(diff.compute(state(r), {}, {}))
    old = Observed(address, Status.COMPLETED, "old-hash")
    edited = one(diff.compute(state(r), {address: old}, {address: {"command": ["false"]}}))
    for c in (fresh, edited):
        assert c.action is Action.CREATE
        assert (c.reasons[0].code, c.reason_text()) == \
            (ReasonCode.TASK_PENDING, "task not yet run for this spec")
    assert edited.field_diffs == (FieldDiff("command[0]", "false", "true"),)


def test_failed_task_is_rerun_with_its_exit_code() -> None:
    address = Address("task", "setup")
    r = Resource(address, {"command": ["false"]})
    seen = Observed(address, Status.FAILED, r.hash(), exit_code=2)
    c = one(diff.compute(state(r), {address: seen}, {address: r.spec}))
    assert (c.action, c.reason_text()) == (Action.CREATE, "task failed: exit 2")


def test_spec_change_is_a_replace_with_field_diffs() -> None:
    old = res(API, env={"LOG_LEVEL": "debug", "GONE": "x"}, command=["a", "b", "c"])
    new = res(API, env={"LOG_LEVEL": "info", "ADDED": "y"}, command=["a", "b", "d", "e"])
    c = one(diff.compute(state(new), {API: running(old)}, {API: old.spec}))
    assert (c.action, c.reason_text()) == (Action.REPLACE, "spec changed")
    assert c.reasons[0].code is ReasonCode.SPEC_CHANGED
    assert c.before == old.spec and c.after == new.spec
    assert [(d.path, d.before, d.after) for d in c.field_diffs] == [
        ("command[2]", "c", "d"), ("command[3]", None, "e"), ("env.ADDED", None, "y"),
        ("env.GONE", "x", None), ("env.LOG_LEVEL", "debug", "info")]
    assert all(d.forces_replace for d in c.field_diffs)


def test_nested_list_paths_are_rendered_with_indexes() -> None:
    address = Address("container", "web")
    old = Resource(address, {"ports": [{"host": 8080, "container": 80}]})
    new = Resource(address, {"ports": [{"host": 8081, "container": 80}]})
    seen = Observed(address, Status.RUNNING, old.hash())
    c = one(diff.compute(state(new), {address: seen}, {address: old.spec}))
    assert c.field_diffs == (FieldDiff("ports[0].host", 8080, 8081),)


def test_excluded_fields_alone_are_an_in_place_update() -> None:
    old = res(API)
    new = res(API, shutdown_timeout=30)
    assert old.hash() == new.hash()
    c = one(diff.compute(state(new), {API: running(old)}, {API: old.spec}))
    assert (c.action, c.reasons[0].code) == (Action.UPDATE, ReasonCode.SPEC_CHANGED)
    assert c.field_diffs == (FieldDiff("shutdown_timeout", 10, 30, forces_replace=False),)


def test_replace_mixing_excluded_and_hashed_fields_marks_which_force() -> None:
    old = res(API)
    new = res(API, shutdown_timeout=30, port=9000)
    c = one(diff.compute(state(new), {API: running(old)}, {API: old.spec}))
    assert c.action is Action.REPLACE
    assert {d.path: d.forces_replace for d in c.field_diffs} == \
        {"port": True, "shutdown_timeout": False}


def test_unchanged_running_resource_is_noop() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {API: running(r)}, {API: r.spec}))
    assert c.action is Action.NOOP and c.is_noop and c.field_diffs == ()


def test_adopted_object_without_state_is_noop_when_hash_matches() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {API: running(r, adopted=True)}, {}))
    assert c.action is Action.NOOP


def test_unknown_running_spec_is_replaced() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {API: Observed(API, Status.RUNNING)}, {}))
    assert (c.action, c.reasons[0].code) == (Action.REPLACE, ReasonCode.DRIFT)


def test_running_hash_falls_back_to_last_applied() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {API: Observed(API, Status.RUNNING)}, {API: r.spec}))
    assert c.action is Action.NOOP


def test_requested_replace() -> None:
    r = res(API)
    c = one(diff.compute(state(r), {API: running(r)}, {API: r.spec}, replace=[API]))
    assert (c.action, c.reasons[0].code) == (Action.REPLACE, ReasonCode.REQUESTED)


def test_requested_replace_of_absent_object_creates_it() -> None:
    c = one(diff.compute(state(res(API)), {}, {}, replace=[API]))
    assert c.action is Action.CREATE


def test_orphans_are_deleted_after_desired_sorted_by_address() -> None:
    r = res(API, order=4)
    z, b = Address("process", "zeta"), Address("process", "beta")
    changes = diff.compute(state(r), {API: running(r), z: Observed(z, Status.RUNNING, "h")},
                           {API: r.spec, b: {"command": ["x"]}})
    assert [(str(c.address), c.action) for c in changes] == [
        ("process.api", Action.NOOP), ("process.beta", Action.DELETE),
        ("process.zeta", Action.DELETE)]
    beta, zeta = changes[1], changes[2]
    assert beta.reason_text() == "orphan: no longer in the configuration"
    assert beta.before == {"command": ["x"]} and beta.after is None and zeta.before is None
    assert (beta.order, zeta.order) == (5, 6) and beta.source is None


def test_destroy_deletes_everything_that_exists() -> None:
    a, d = res(API, order=0), res(DB, order=1)
    orphan = Address("process", "old")
    changes = diff.compute(state(a, d), {API: running(a)}, {API: a.spec, orphan: {}},
                           destroy=True)
    assert [(str(c.address), c.action, c.reason_text()) for c in changes] == [
        ("process.api", Action.DELETE, "destroy"), ("process.db", Action.NOOP, ""),
        ("process.old", Action.DELETE, "destroy")]
    assert changes[0].source == a.source and changes[0].after is None


def test_changes_follow_config_source_order() -> None:
    resources = [res(Address("process", n), order=i) for i, n in enumerate("cab")]
    changes = diff.compute(state(*reversed(resources)), {}, {})
    assert [c.address.name for c in changes] == ["c", "a", "b"]
    assert [c.order for c in changes] == [0, 1, 2]


def test_changed_secret_diffs_as_changed_marker() -> None:
    old = res(API, env={"API_TOKEN": marker("one")})
    new = res(API, env={"API_TOKEN": marker("two")})
    c = one(diff.compute(state(new), {API: running(old)}, {API: old.spec}))
    assert c.action is Action.REPLACE
    (field,) = c.field_diffs
    assert field.path == "env.API_TOKEN"
    assert field.before == marker("one") and field.after == marker("two")
    assert "one" not in repr(c) and "two" not in repr(c)


def test_compute_is_pure_and_deterministic() -> None:
    old = res(API, env={"A": "1"})
    new = res(API, env={"A": "2", "B": "3"})
    args = (state(new), {API: running(old)}, {API: old.spec})
    assert diff.compute(*args) == diff.compute(*args)
    assert old.spec == spec(env={"A": "1"})
    assert spec_hash(old.spec) == old.hash()


def test_in_place_kind_updates_live_and_replaces_only_for_identity_fields() -> None:
    address = Address("wireguard", "mesh", "h1")
    old = Resource(address, {"interface": "wg0", "listen_port": 51820, "peers": ["a"]})
    new = Resource(address, {"interface": "wg0", "listen_port": 51820, "peers": ["a", "b"]})
    seen = Observed(address, Status.EXITED, old.hash(), reason="peer b missing")
    c = one(diff.compute(state(new), {address: seen}, {address: dict(old.spec)}))
    assert (c.action, c.reason_text()) == (Action.UPDATE, "spec changed; drift: peer b missing")
    assert c.field_diffs == (FieldDiff("peers[1]", None, "b", forces_replace=False),)
    moved = Resource(address, {**new.spec, "listen_port": 51821})
    c = one(diff.compute(state(moved), {address: seen}, {address: dict(old.spec)}))
    assert c.action is Action.REPLACE
    assert [d.path for d in c.field_diffs if d.forces_replace] == ["listen_port"]


def test_render_path() -> None:
    assert diff.render_path(["env", "LOG_LEVEL"]) == "env.LOG_LEVEL"
    assert diff.render_path(["command", 2]) == "command[2]"
    assert diff.render_path(["ports", 0, "host"]) == "ports[0].host"
