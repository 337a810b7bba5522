"""``reconciler status`` for swarm services: desired/running tasks and the nodes' names, from
the facts the swarm_service actuator observed (node names: one node list per manager)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import TransientError
from reconciler.model.changes import Observed, Status
from reconciler.model.types import Address
from reconciler.render.status import render_status
from reconciler.transports.docker.swarm_nodes import display_names
from reconciler.workflows import status_swarm
from reconciler.workflows.status import watch_note

WEB = Address.parse("swarm_service.web")
API = Address.parse("container.api")


def node(node_id: str, host: str, addr: str) -> dict[str, Any]:
    return {"ID": node_id, "Description": {"Hostname": host}, "Status": {"Addr": addr}}


def test_nodes_are_named_by_hostname_and_by_address_when_hostnames_repeat() -> None:
    assert display_names([node("a1", "alpha", "198.18.0.1"), node("b2", "beta", "198.18.0.2")]
                         ) == {"a1": "alpha", "b2": "beta"}
    assert display_names([node("a1", "box", "198.18.0.1"), node("b2", "box", "198.18.0.2"),
                          node("c3", "", "")]) == {
        "a1": "box@198.18.0.1", "b2": "box@198.18.0.2", "c3": "c3"}


def rows() -> list[dict[str, Any]]:
    return [{"address": str(WEB), "kind": "swarm_service", "detail": ""},
            {"address": str(API), "kind": "container", "detail": ""}]


def observed(**facts: Any) -> dict[Address, Observed]:
    base = {"docker_host": "unix:///m.sock", "replicas": 3, "running": 2,
            "nodes": ["id-beta", "id-alpha"]}
    return {WEB: Observed(WEB, Status.RUNNING, "h", facts={**base, **facts}),
            API: Observed(API, Status.RUNNING, "h", facts={"pid": 1})}


def test_swarm_rows_get_counts_and_node_names(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str | None] = []

    def names(url: str | None) -> dict[str, str]:
        asked.append(url)
        return {"id-alpha": "alpha", "id-beta": "beta"}

    monkeypatch.setattr(status_swarm, "node_names", names)
    table = rows()
    status_swarm.add_tasks(table, observed(), [WEB, API])
    assert table[0] == {"address": str(WEB), "kind": "swarm_service", "replicas": 3,
                        "running": 2, "nodes": ["alpha", "beta"],
                        "detail": "2/3 tasks on alpha, beta"}
    assert table[1] == {"address": str(API), "kind": "container", "detail": ""}
    assert asked == ["unix:///m.sock"]  # one node list per manager
    out = render_status([{**r, "state": "running", "pid": None, "port": None, "health": "-"}
                         for r in table])
    assert "2/3 tasks on alpha, beta" in out


def test_an_unreachable_manager_leaves_short_ids_and_a_reason_stays(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def down(url: str | None) -> dict[str, str]:
        raise TransientError("swarm manager is unreachable")

    monkeypatch.setattr(status_swarm, "node_names", down)
    table = rows()
    table[0]["detail"] = "scaled by hand to 1 (want 3)"
    status_swarm.add_tasks(table, observed(nodes=["0123456789abcdef"], running=1), [WEB, API])
    assert table[0]["nodes"] == ["0123456789ab"]
    assert table[0]["detail"] == "scaled by hand to 1 (want 3)"
    assert status_swarm.task_detail({"running": 0, "replicas": 1, "nodes": []}) == "0/1 tasks"


def test_watch_restart_note_keeps_the_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_swarm, "node_names", lambda url: {"id-alpha": "alpha"})
    table = rows()
    table[0].update(watch={"state": "restarting"}, detail="restarting (watch): 1 restart(s)")
    status_swarm.add_tasks(table, observed(nodes=["id-alpha"], running=3), [WEB, API])
    assert table[0]["detail"] == "restarting (watch): 1 restart(s); 3/3 tasks on alpha"


def test_the_watch_note_counts_the_backoff_from_when_it_was_recorded() -> None:
    """A backoff of 0.457 s recorded at t=100 is over at t=160: status no longer says
    "next in 0.457s" (it did, whenever it ran); while it runs, the seconds left."""
    watch = {"state": "restarting", "restarts": 1, "retry_in": 0.457, "at": 100.0}
    assert watch_note(watch, 160.0) == "restarting (watch): 1 restart(s)"
    assert watch_note({**watch, "retry_in": 8.0}, 103.0) == \
        "restarting (watch): 1 restart(s), next in 5s"
    assert watch_note({**watch, "retry_in": 0.0}, 100.0) == "restarting (watch): 1 restart(s)"
