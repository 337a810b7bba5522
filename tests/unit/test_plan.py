"""plan.build and its steps: nodes, edges, deletes, targets, cycles, saved-plan round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.engine import diff
from reconciler.engine.plan import FORMAT_VERSION, STEPS, Plan, build, from_json, to_json
from reconciler.errors import PlanError, SourceRange
from reconciler.model.changes import Action, Observed, Status
from reconciler.model.types import Address, Condition, Dependency, DesiredState, Resource


def res(name: str, *deps: str, order: int = 0, kind: str = "process", host: str = "local",
        cond: Condition = Condition.HEALTHY, **spec: Any) -> Resource:
    return Resource(Address(kind, name, host), {"command": [name], **spec},
                    depends_on=tuple(Dependency(Address.parse(d), cond) for d in deps),
                    source=SourceRange("services.yaml", 10 * (order + 1), 3), order=order)


def state(*resources: Resource) -> DesiredState:
    return DesiredState("demo", {r.address: r for r in resources})


def plan_for(desired: DesiredState, observed: dict[Address, Observed] | None = None,
             last: dict[Address, Any] | None = None, **kw: Any) -> Plan:
    changes = diff.compute(desired, observed or {}, last or {},
                           destroy=kw.pop("destroy", False))
    return build(changes, desired, created_at=1.0, **kw)


def running(desired: DesiredState) -> tuple[dict[Address, Observed], dict[Address, Any]]:
    observed = {a: Observed(a, Status.RUNNING, r.hash()) for a, r in desired.resources.items()}
    return observed, {a: r.spec for a, r in desired.resources.items()}


def test_steps_are_named_and_ordered() -> None:
    assert [name for name, _ in STEPS] == ["nodes", "explicit_edges", "implicit_edges",
                                          "delete_edges", "targets", "cycle_check"]


def test_nodes_are_non_noop_changes_and_changes_keep_noops() -> None:
    db = res("db")
    observed, last = running(state(db))
    plan = plan_for(state(db, res("api", "process.db", order=1)), observed, last)
    assert list(plan.graph.nodes) == ["process.api"]
    assert [str(c.address) for c in plan.changes] == ["process.db", "process.api"]
    assert plan.graph.nodes["process.api"]["change"].action is Action.CREATE
    assert [str(c.address) for c in plan.actionable()] == ["process.api"]
    assert plan.summary() == {"create": 1, "update": 0, "replace": 0, "delete": 0}
    assert plan.has_changes


def test_dependency_before_dependant_with_condition() -> None:
    desired = state(res("web", "process.api", order=0),
                    res("api", "process.db", order=1, cond=Condition.STARTED),
                    res("db", order=2))
    plan = plan_for(desired)
    assert plan.order() == ["process.db", "process.api", "process.web"]
    assert plan.graph.edges["process.db", "process.api"] == \
        {"kind": "depends_on", "condition": "service_started"}
    assert plan.depends["process.web"] == ("process.api",)


def test_ties_break_by_source_order() -> None:
    desired = state(res("c", order=0), res("a", order=1), res("b", "process.c", order=2))
    assert plan_for(desired).order() == ["process.c", "process.a", "process.b"]


def test_replaced_dependency_does_not_replace_running_dependants() -> None:
    db, api = res("db"), res("api", "process.db", order=1)
    observed, last = running(state(db, api))
    edited = state(res("db", order=0, env={"X": "1"}), api)
    plan = plan_for(edited, observed, last)
    assert [(str(c.address), c.action) for c in plan.actionable()] == \
        [("process.db", Action.REPLACE)]


def test_orphans_are_deleted_dependants_first() -> None:
    db, api = Address("process", "db"), Address("process", "api")
    observed = {a: Observed(a, Status.RUNNING, "h") for a in (db, api)}
    plan = plan_for(state(), observed, {db: {}, api: {}},
                    recorded_depends={api: ["process.db"], db: []})
    assert plan.order() == ["process.api", "process.db"]
    assert plan.graph.edges["process.api", "process.db"]["kind"] == "delete"
    assert plan.summary()["delete"] == 2


def test_destroy_uses_configured_dependencies_in_reverse() -> None:
    desired = state(res("db", order=0), res("api", "process.db", order=1))
    observed, last = running(desired)
    plan = plan_for(desired, observed, last, destroy=True)
    assert plan.order() == ["process.api", "process.db"]


def test_host_and_compose_and_wireguard_come_first_and_go_last() -> None:
    host = res("h1", kind="host", order=0)
    mesh = res("mesh", kind="wireguard", host="h1", order=1)
    app = res("app", kind="process", host="h1", order=2, network="mesh")
    proj = res("shop", kind="compose", order=3)
    svc = res("web", kind="compose_service", order=4, compose_project="shop")
    part = res("shop.db", kind="compose", order=5)
    desired = state(svc, app, mesh, host, proj, part)
    plan = plan_for(desired)
    kinds = {(u, v): d["kind"] for u, v, d in plan.edges()}
    assert kinds == {("host.h1", "wireguard.mesh@h1"): "host",
                     ("host.h1", "process.app@h1"): "host",
                     ("wireguard.mesh@h1", "process.app@h1"): "wireguard",
                     ("compose.shop", "compose_service.web"): "compose",
                     ("compose.shop", "compose.shop.db"): "compose"}
    observed, last = running(desired)
    gone = plan_for(desired, observed, last, destroy=True)
    order = gone.order()
    assert order.index("process.app@h1") < order.index("wireguard.mesh@h1") \
        < order.index("host.h1")
    assert order.index("compose_service.web") < order.index("compose.shop")
    assert order.index("compose.shop.db") < order.index("compose.shop")


def test_no_implicit_edges_without_such_kinds() -> None:
    plan = plan_for(state(res("a", host="h1"), res("b", order=1, network="mesh")))
    assert list(plan.graph.edges) == []


def test_targets_keep_the_target_and_its_dependencies() -> None:
    desired = state(res("db", order=0), res("api", "process.db", order=1),
                    res("web", "process.api", order=2), res("cache", order=3))
    plan = plan_for(desired, targets=[Address("process", "api")])
    assert plan.order() == ["process.db", "process.api"]
    assert [str(c.address) for c in plan.changes] == ["process.db", "process.api"]
    assert plan.targets == ("process.api",)


def test_a_target_with_nothing_to_do_keeps_what_it_needs_that_has() -> None:
    desired = state(res("api", order=0), res("web", "process.api", order=1))
    observed, last = running(desired)
    del observed[Address("process", "web")]  # web crashed: only it changes; api is a no-op
    plan = plan_for(desired, observed, last, targets=[Address("process", "api"),
                                                      Address("process", "web")])
    assert plan.order() == ["process.web"]  # the no-op target api has no node to walk from


def test_target_by_bare_name_matches_any_kind() -> None:
    desired = state(res("setup", kind="task", order=0), res("api", "task.setup", order=1))
    plan = plan_for(desired, targets=[Address("process", "setup")])
    assert plan.order() == ["task.setup"] and plan.targets == ("task.setup",)


def test_unknown_target_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match=r"unknown target 'process\.nope'") as info:
        plan_for(state(res("api")), targets=[Address("process", "nope")])
    assert "process.api" in info.value.hint


def test_targeted_delete_takes_its_deleted_dependants_not_its_dependencies() -> None:
    desired = state(res("db", order=0), res("api", "process.db", order=1), res("x", order=2))
    observed, last = running(desired)
    plan = plan_for(desired, observed, last, destroy=True, targets=[Address("process", "db")])
    assert plan.order() == ["process.api", "process.db"]
    plan = plan_for(desired, observed, last, destroy=True, targets=[Address("process", "api")])
    assert plan.order() == ["process.api"]


def test_cycle_names_every_node_with_file_and_line() -> None:
    desired = state(res("a", "process.c", order=0), res("b", "process.a", order=1),
                    res("c", "process.b", order=2), res("d", order=3))
    with pytest.raises(PlanError) as info:
        plan_for(desired)
    assert info.value.message == (
        "dependency cycle: process.a (services.yaml:10:3) -> process.b (services.yaml:20:3) "
        "-> process.c (services.yaml:30:3) -> process.a (services.yaml:10:3)")
    assert info.value.source == SourceRange("services.yaml", 10, 3)


def test_no_changes() -> None:
    desired = state(res("db"))
    observed, last = running(desired)
    plan = plan_for(desired, observed, last)
    assert not plan.has_changes and plan.order() == [] and plan.actionable() == []
    assert plan.summary() == {"create": 0, "update": 0, "replace": 0, "delete": 0}


def test_inputs_hash_tracks_desired_and_observed() -> None:
    desired = state(res("db"))
    observed, last = running(desired)
    base = plan_for(desired, observed, last, observed_hashes={"process.db": "running:h"})
    same = plan_for(desired, observed, last, observed_hashes={"process.db": "running:h"})
    moved = plan_for(desired, observed, last, observed_hashes={"process.db": "exited:h"})
    edited = plan_for(state(res("db", env={"A": "1"})), observed, last,
                      observed_hashes={"process.db": "running:h"})
    assert base.inputs_hash == same.inputs_hash
    assert len({base.inputs_hash, moved.inputs_hash, edited.inputs_hash}) == 3


def big_plan() -> Plan:
    desired = state(*[res(f"s{i}", *(f"process.s{j}" for j in range(i) if j % 3 == i % 3),
                          order=i) for i in range(12)])
    orphan = Address("process", "old")
    return plan_for(desired, {orphan: Observed(orphan, Status.RUNNING, "h")}, {orphan: {}},
                    recorded_depends={orphan: []})


def test_build_is_deterministic_byte_for_byte() -> None:
    first = json.dumps(to_json(big_plan()), sort_keys=True)
    assert all(json.dumps(to_json(big_plan()), sort_keys=True) == first for _ in range(5))


def test_saved_plan_round_trips() -> None:
    plan = big_plan()
    document = json.loads(json.dumps(to_json(plan)))
    assert document["format_version"] == FORMAT_VERSION
    again = from_json(document)
    assert to_json(again) == to_json(plan)
    assert again.changes == plan.changes and again.order() == plan.order()
    assert sorted(again.graph.edges(data=True)) == sorted(plan.graph.edges(data=True))


def test_saved_plan_of_another_version_is_refused() -> None:
    document = to_json(big_plan())
    document["format_version"] = 99
    with pytest.raises(PlanError, match="format_version 99"):
        from_json(document)
    with pytest.raises(PlanError, match="damaged"):
        from_json({"format_version": FORMAT_VERSION})


def test_deleted_dependant_goes_before_its_dependency_is_replaced() -> None:
    db = res("db")
    observed, last = running(state(db))
    orphan = Address("process", "old")
    observed[orphan] = Observed(orphan, Status.RUNNING, "h")
    last[orphan] = {}
    plan = plan_for(state(res("db", env={"X": "2"})), observed, last,
                    recorded_depends={orphan: ["process.db"]})
    assert plan.order() == ["process.old", "process.db"]
    assert plan.graph.edges["process.old", "process.db"]["kind"] == "delete"


def test_noop_plan_round_trips_without_importing_networkx() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from reconciler.engine import diff\n"
        "from reconciler.model.changes import Observed, Status\n"
        "from reconciler.model.types import Address, DesiredState, Resource\n"
        "from reconciler.engine.plan import build, from_json, to_json\n"
        "r = Resource(Address('process', 'db'), {'command': ['db']})\n"
        "d = DesiredState('demo', {r.address: r})\n"
        "seen = {r.address: Observed(r.address, Status.RUNNING, r.hash())}\n"
        "plan = build(diff.compute(d, seen, {r.address: r.spec}), d)\n"
        "again = from_json(to_json(plan))\n"
        "assert not plan.has_changes and plan.actionable() == [] and plan.order() == []\n"
        "assert not again.has_changes and len(again.changes) == 1\n"
        "print('networkx' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
    observed, last = running(state(res("db")))
    plan = plan_for(state(res("db")), observed, last)
    assert plan.graph.number_of_nodes() == 0 and not plan.has_changes
