"""The container's port label (written at create) and reading it back after a state loss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.ports import (
    LABEL_PORT,
    labelled_port,
    port_label,
    ports_from_list,
)
from reconciler.transports.local import LocalTransport

STATE_DIR = Path("/srv/app/.reconciler")
CTX = ActuatorContext(project="p", scope="p", state_dir=STATE_DIR,
                      transport=LocalTransport(), state_id="ours")


def entry(address: str, *, label: str | None = None, published: int | None = None,
          state: str = "running", state_id: str | None = "ours",
          state_dir: str = "/elsewhere") -> dict[str, Any]:
    labels = {cp.LABEL_ADDRESS: address, cp.LABEL_SCOPE: "p"}
    if label is not None:
        labels[LABEL_PORT] = label
    if state_id:
        labels.update({cp.LABEL_STATE_ID: state_id, cp.LABEL_STATE_DIR: state_dir})
    ports = [{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": published, "Type": "tcp"}] \
        if published else []
    return {"Id": address, "Labels": labels, "Ports": ports, "State": state}


def test_the_label_is_the_first_host_port() -> None:
    spec = {"ports": [{"container": 80, "host": 21000, "proto": "tcp"},
                      {"container": 81, "host": 21001, "proto": "tcp"}]}
    assert port_label(spec) == {LABEL_PORT: "21000"}
    assert port_label({"ports": []}) == {}
    assert port_label({"ports": [{"container": 80, "host": None}]}) == {}


def test_the_label_wins_and_older_containers_fall_back_to_the_published_port() -> None:
    assert labelled_port(entry("container.a", label="21000", published=25000)) == 21000
    assert labelled_port(entry("container.a", published=25000)) == 25000
    assert labelled_port(entry("container.a", state="exited")) is None


def test_only_this_states_containers_are_readopted() -> None:
    found = ports_from_list([
        entry("container.a", label="21000"),
        entry("container.old", published=22000, state_id=None),
        entry("container.here", label="23000", state_id="lost",
              state_dir=str(STATE_DIR.resolve())),
        entry("container.theirs", label="24000", state_id="theirs"),
        entry("process.x", label="25000"),
    ], CTX)
    assert found == {"container.a": 21000, "container.old": 22000, "container.here": 23000}


def test_a_running_container_wins_over_a_stopped_one_of_its_address() -> None:
    found = ports_from_list([entry("container.a", label="21000", state="exited"),
                             entry("container.a", label="21005")], CTX)
    assert found == {"container.a": 21005}
