"""WireGuard is an in-place kind: live changes plan as ``~ update``, identity changes and
``--replace`` as ``-/+ replace``; and which replaces rotate the node's key (pure; no hosts)."""

from __future__ import annotations

from typing import Any

from reconciler.actuators import registry
from reconciler.actuators.wireguard.actuator import rotates
from reconciler.engine import diff
from reconciler.model.changes import Action, Change, Observed, ReasonCode, Status
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.model.wireguard import node_specs, read_network

H1 = Address("wireguard", "mesh", "h1")


def _specs(nodes: int = 3, **extra: Any) -> dict[str, dict[str, Any]]:
    data = {"type": "wireguard", "subnet": "198.19.7.0/24", "interface": "wg{node}",
            "nodes": [{"host": f"198.18.7.{10 + i}", "name": f"h{i}"}
                      for i in range(1, nodes + 1)], **extra}
    net, problems = read_network("mesh", data, "demo")
    assert net is not None and problems == []
    return node_specs(net, "demo")


def _h1(nodes: int = 3, **extra: Any) -> Resource:
    return Resource(H1, _specs(nodes, **extra)["h1"])


def _one(resource: Resource, seen: Observed | None, last: dict[str, Any] | None,
         **kw: Any) -> Change:
    changes = diff.compute(DesiredState("demo", {H1: resource}),
                           {H1: seen} if seen is not None else {},
                           {H1: last} if last is not None else {}, **kw)
    assert len(changes) == 1
    return changes[0]


def _running(resource: Resource, spec_hash: str | None = None) -> Observed:
    return Observed(H1, Status.RUNNING, spec_hash or resource.hash())


def test_wireguard_is_an_in_place_kind_keyed_by_interface_and_listen_port() -> None:
    in_place = {name: registry.kind(name).in_place for name in registry.supported_kinds()}
    assert in_place.pop("wireguard") == frozenset({"interface", "listen_port"})
    assert in_place.pop("file") == frozenset({"path"})  # a managed file is rewritten in place
    assert in_place.pop("swarm_service") == frozenset({"docker_host"})  # a service rolls
    assert set(in_place.values()) == {None}


def test_adding_a_peer_is_an_update_in_place_with_field_diffs() -> None:
    old, new = _h1(3), _h1(4)
    c = _one(new, _running(old), dict(old.spec))
    assert (c.action, c.reason_text()) == (Action.UPDATE, "spec changed")
    assert [d.path for d in c.field_diffs] == ["peers[2]"]
    assert c.field_diffs[0].after["node"] == "h4" and c.field_diffs[0].before is None
    assert not any(d.forces_replace for d in c.field_diffs)


def test_removing_a_peer_with_the_drift_it_causes_is_one_update() -> None:
    old, new = _h1(4), _h1(3)
    seen = Observed(H1, Status.EXITED, old.hash(), reason="peer h4 unexpected")
    c = _one(new, seen, dict(old.spec))
    assert c.action is Action.UPDATE
    assert [r.code for r in c.reasons] == [ReasonCode.SPEC_CHANGED, ReasonCode.DRIFT]
    assert c.reason_text() == "spec changed; drift: peer h4 unexpected"
    assert [d.path for d in c.field_diffs] == ["peers[2]"]


def test_changed_keepalive_endpoint_or_mtu_is_an_update() -> None:
    old = _h1(3)
    for edit in ({"persistent_keepalive": 25}, {"mtu": 1380}):
        new = _h1(3, **edit)
        c = _one(new, _running(old), dict(old.spec))
        assert c.action is Action.UPDATE, edit
        assert c.field_diffs and not any(d.forces_replace for d in c.field_diffs)


def test_drift_on_an_existing_interface_is_an_update_with_its_reason() -> None:
    r = _h1()
    seen = Observed(H1, Status.EXITED, r.hash(), reason="peer h3 missing")
    c = _one(r, seen, dict(r.spec))
    assert (c.action, c.reason_text()) == (Action.UPDATE, "drift: peer h3 missing")
    assert c.reasons[0].code is ReasonCode.DRIFT and c.field_diffs == ()


def test_adopted_drifted_interface_with_known_hash_is_an_update() -> None:
    r = _h1()
    seen = Observed(H1, Status.EXITED, r.hash(), reason="interface wgh1 down")
    assert _one(r, seen, None).action is Action.UPDATE


def test_missing_interface_is_still_created() -> None:
    r = _h1()
    assert _one(r, None, dict(r.spec)).action is Action.CREATE
    assert _one(r, None, None).reason_text() == "new"


def test_in_sync_interface_is_a_noop() -> None:
    r = _h1()
    c = _one(r, _running(r), dict(r.spec))
    assert c.action is Action.NOOP and c.reasons == ()


def test_listen_port_change_is_a_replace_forced_by_that_field() -> None:
    old, new = _h1(3), _h1(3, listen_port=51900)
    seen = Observed(H1, Status.EXITED, old.hash(), reason="listen port 51820 (want 51900)")
    c = _one(new, seen, dict(old.spec))
    assert (c.action, c.reason_text()) == (Action.REPLACE, "spec changed")
    forcing = {d.path for d in c.field_diffs if d.forces_replace}
    assert forcing == {"listen_port"}
    assert any(d.path.startswith("peers") and not d.forces_replace for d in c.field_diffs)


def test_interface_rename_is_a_replace_even_before_the_new_name_exists() -> None:
    old, new = _h1(3), _h1(3, interface="wgx{node}")
    c = _one(new, None, dict(old.spec))
    assert c.action is Action.REPLACE
    assert [(d.path, d.forces_replace) for d in c.field_diffs] == [
        ("interface", True), ("peers[0].interface", False), ("peers[1].interface", False)]


def test_requested_replace_and_unknown_spec_stay_replaces() -> None:
    r = _h1()
    assert _one(r, _running(r), dict(r.spec), replace=[H1]).reason_text() == \
        "replacement requested"
    unknown = Observed(H1, Status.RUNNING, None)
    assert _one(r, unknown, None).action is Action.REPLACE
    other = _one(r, _running(r, "another-hash"), None)  # which fields changed is unknown
    assert (other.action, other.reason_text()) == (Action.REPLACE, "spec changed")


def test_only_a_replace_that_keeps_the_identity_rotates_the_key() -> None:
    old, peer_added, new_port = _h1(3), _h1(4), _h1(3, listen_port=51900)
    requested = _one(old, _running(old), dict(old.spec), replace=[H1])
    requested_and_edited = _one(peer_added, _running(old), dict(old.spec), replace=[H1])
    updated = _one(peer_added, _running(old), dict(old.spec))
    port = _one(new_port, _running(old), dict(old.spec))
    adopted = _one(old, _running(old, "another-hash"), None)
    assert rotates(requested) and rotates(requested_and_edited)
    assert not rotates(updated) and not rotates(port) and not rotates(adopted)
