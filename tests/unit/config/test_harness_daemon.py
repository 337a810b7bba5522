"""The service harness's daemon shape: service_type/task_type, env inside target, and
``${postgres.port}`` taken from a ``ports:`` mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.model.types import Address

FIXTURE = Path(__file__).parent / "fixtures" / "harness_daemon" / "services.yaml"


def test_daemon_shape_validates_and_builds(run: Any) -> None:
    result = run({"services.yaml": FIXTURE.read_text()}, env={}, port_allocator=lambda a: 25432)
    assert result.errors == [] and result.warnings == []
    db = result.resource("container.postgres")
    assert db.labels == {"service_type": "database"}
    assert db.spec["ports"] == [{"host": 25432, "container": 5432, "host_ip": "127.0.0.1"}]
    api = result.resource("process.api")
    assert api.spec["command"][-1] == "echo 25432; sleep 1000"
    assert api.spec["env"] == {"DB_PORT": "25432"}
    assert [d.target for d in api.depends_on] == [Address("container", "postgres"),
                                                  Address("task", "migrate")]
    migrate = result.resource("task.migrate")
    assert migrate.labels == {"task_type": "migration"} and migrate.spec["env"] == {
        "PGPORT": "25432"}


def test_target_env_wins_over_the_service_env(run: Any) -> None:
    result = run({"services.yaml": """
services:
  a:
    env: {X: outer, Y: kept}
    target: {type: process, command: "true", env: {X: inner}}
"""}, env={})
    assert result.errors == []
    assert result.resource("process.a").spec["env"] == {"X": "inner", "Y": "kept"}


def test_fixed_mapping_is_the_port_and_unreferenced_container_keeps_dockers_choice(
        run: Any) -> None:
    result = run({"services.yaml": """
services:
  pg: {type: docker, image: "postgres:16", ports: ["5432:5432"]}
  cache: {type: docker, image: "redis:7", ports: ["6379"]}
  api: {command: "echo ${pg.port}"}
"""}, env={})
    assert result.errors == []
    assert result.resource("process.api").spec["command"][-1] == "echo 5432"
    assert result.resource("container.cache").spec["ports"][0]["host"] is None


def test_unknown_key_in_target_is_still_an_error_with_its_position(run: Any) -> None:
    result = run({"services.yaml": """
services:
  a:
    service_type: daemon
    target: {type: process, command: "true", envv: {X: 1}}
"""}, env={})
    assert any(":4:46: error: unknown key 'envv'" in e for e in result.errors), result.errors
