"""The harness's graph-stack files: a service ``name:``, capitalised target types
(``Docker``/``Process``), a task ``config:`` and the ``docker-attach`` / ``process-attach``
targets (kind ``attached``: observed, never managed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.model.types import Address

FIXTURE = Path(__file__).parent / "fixtures" / "harness_graph_stack" / "services.yaml"


def test_graph_stack_fixture_validates_and_builds(run: Any) -> None:
    result = run({"services.yaml": FIXTURE.read_text()}, env={}, port_allocator=lambda a: 25432)
    assert result.errors == []
    assert [w.split(": warning: ")[1].splitlines()[0] for w in result.warnings] == [
        "'config' of task 'deploy-contracts' is the harness task's own settings and is not "
        "read by reconciler"]
    assert result.warnings[0].startswith("services.yaml:38:5: warning:")
    db = result.resource("container.postgres")
    assert db.labels == {"service_type": "postgres", "display_name": "graph-postgres"}
    assert db.spec["image"] == "postgres:16"
    anvil = result.resource("process.anvil")
    assert anvil.spec["command"] == ["sleep", "3600"]
    assert anvil.labels["display_name"] == "anvil-chain"
    graph = result.resource("attached.graph-node")
    assert dict(graph.spec) == {"target": "container", "port": None,
                                "container": "graph-node-container", "process": None,
                                "pid": None}
    assert [d.target for d in graph.depends_on] == [Address("container", "postgres"),
                                                    Address("task", "deploy-contracts")]
    app = result.resource("attached.existing-app")
    assert (app.spec["target"], app.spec["process"]) == ("process", "my-app")
    assert result.resource("task.deploy-contracts").spec["command"][-1] == "echo deployed"


def test_type_names_are_case_insensitive_and_attach_keys_are_checked(run: Any) -> None:
    result = run({"services.yaml": """
services:
  a: {type: PROCESS, command: "true"}
  b: {target: {type: Process-Attach, pid: 4242}}
  c: {target: {type: docker-attach}}
"""}, env={})
    assert result.resource("process.a").spec["command"][-1] == "true"
    assert result.resource("attached.b").spec["pid"] == 4242
    assert len(result.errors) == 1 and "container" in result.errors[0]
    assert result.errors[0].startswith("services.yaml:4:3:")


def test_attach_targets_build_through_the_attached_kinds_own_builder(run: Any) -> None:
    """``docker-attach``/``process-attach`` are built by ``attached/spec.py`` ``build``
    (``Kind.builder``): the service-level ``port`` and health check still apply."""
    from reconciler.model.kind_hooks import builder

    assert [(builder(t) or ("", None))[0] for t in ("docker-attach", "process-attach")] == [
        "attached", "attached"]
    result = run({"services.yaml": """
services:
  db:
    port: 6543
    health_check: {tcp: {port: 6543}}
    target: {type: docker-attach, container: pg}
  app: {type: process-attach, process_name: my-app, host: local}
"""}, env={})
    assert result.errors == []
    db = result.resource("attached.db")
    assert (db.spec["target"], db.spec["port"], db.spec["container"]) == ("container", 6543, "pg")
    assert db.health is not None and db.health.target == "127.0.0.1:6543"
    assert result.resource("attached.app").spec["process"] == "my-app"
