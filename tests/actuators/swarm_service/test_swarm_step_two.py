"""Step two of the swarm kind without an engine: `max_replicas_per_node` in the spec and the
API body (and left out of the spec when unset, so existing specs keep their hash), secret
names and the body's secret references, ForceUpdate, and the tasks of a forced redeploy.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.actuators.swarm_service.rollout import current_tasks, down_nodes, wait_removed
from reconciler.actuators.swarm_service.secrets import MAX_NAME, secret_name
from reconciler.actuators.swarm_service.spec import of
from reconciler.engine.project import Project
from reconciler.model.types import Address
from reconciler.transports.docker.swarm import service_body

TEXT = ("name: sw\nclusters:\n  lab: {type: swarm}\nservices:\n"
        "  a: {type: docker, cluster: lab, image: app:1%s}\n")


def spec_of(tmp_path: Path, extra: str) -> dict[str, object]:
    (tmp_path / "services.yaml").write_text(TEXT % extra)
    desired, _ = Project(tmp_path, state_dir=tmp_path / ".state").desired()
    return dict(desired.resources[Address("swarm_service", "a")].spec)


def test_max_replicas_per_node(tmp_path: Path) -> None:
    assert "max_replicas_per_node" not in spec_of(tmp_path, "")
    spec = of(spec_of(tmp_path, ", max_replicas_per_node: 1"))
    assert spec["max_replicas_per_node"] == 1
    body = service_body(spec, "sw_a", {}, {})
    assert body["task_template"]["Placement"] == {"MaxReplicas": 1}


def test_secret_references_and_force_update(tmp_path: Path) -> None:
    spec = of(spec_of(tmp_path, ""))
    body = service_body(spec, "sw_a", {}, {"TOKEN_FILE": "/run/secrets/TOKEN"},
                        [{"id": "sid", "name": "sw_a_TOKEN_abc", "file": "TOKEN"}],
                        force_update=3)
    container = body["task_template"]["ContainerSpec"]
    assert container["Env"] == ["TOKEN_FILE=/run/secrets/TOKEN"]
    [ref] = container["Secrets"]
    assert ref["SecretID"] == "sid" and ref["SecretName"] == "sw_a_TOKEN_abc"
    assert ref["File"]["Name"] == "TOKEN"
    assert body["task_template"]["ForceUpdate"] == 3


def test_secret_names_carry_the_marker_digest_and_fit_swarm_s_limit() -> None:
    assert secret_name("sw_a", "TOKEN", "(sensitive:0123456789ab)") == "sw_a_TOKEN_0123456789ab"
    long = secret_name("x" * 60, "A_VERY_LONG_VARIABLE_NAME", "(sensitive:0123456789ab)")
    assert len(long) <= MAX_NAME and long.endswith("_0123456789ab")


def test_a_forced_redeploy_s_tasks_are_told_apart_by_the_counter() -> None:
    container = {"Image": "app:1"}
    service = {"Spec": {"TaskTemplate": {"ContainerSpec": container, "ForceUpdate": 1}}}
    old = {"ID": "old", "Spec": {"ContainerSpec": container}}
    new = {"ID": "new", "Spec": {"ContainerSpec": container, "ForceUpdate": 1}}
    assert [t["ID"] for t in current_tasks(service, [old, new])] == ["new"]


class _Manager:
    """The two calls wait_removed makes, answered from fixed lists."""

    def nodes(self) -> list[dict[str, object]]:
        return [{"ID": "upnode", "Status": {"State": "ready"}},
                {"ID": "deadnode0000x", "Status": {"State": "down"},
                 "Description": {"Hostname": "w2"}}]

    def tasks(self) -> list[dict[str, object]]:
        return [{"ServiceID": "gone", "NodeID": "deadnode0000x",
                 "Status": {"State": "running"}},
                {"ServiceID": "other", "NodeID": "upnode", "Status": {"State": "running"}}]


def test_a_removed_service_s_tasks_on_a_down_node_are_not_waited_for() -> None:
    manager = _Manager()
    assert down_nodes(manager) == {"deadnode0000x": "deadnode0000 (w2)"}
    wait_removed(manager, None, "gone", timeout=0.0)  # returns: the dead node's task is moot
