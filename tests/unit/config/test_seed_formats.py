"""vendetta ``.vendetta/config.yaml`` and par ``.par.yaml``: parse, check (file:line:col),
build (snapshot of the resources), and the warnings for keys without a meaning here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.config.shape import duration_seconds
from reconciler.model.types import Address, Condition, ProbeKind

FIXTURES = Path(__file__).parent / "fixtures"
VENDETTA = (FIXTURES / "vendetta" / ".vendetta" / "config.yaml").read_text()
PAR = (FIXTURES / "par" / ".par.yaml").read_text()


def _firsts(messages: list[str]) -> list[str]:
    return [m.splitlines()[0] for m in messages]


def _specs(result: Any) -> str:
    return json.dumps({str(r.address): {**r.spec, "cwd": "<dir>"} if "cwd" in r.spec and
                       r.spec["cwd"] != "~" else dict(r.spec)
                       for r in result.state.ordered()}, indent=1, sort_keys=True)


def test_vendetta_fixture_maps_services_docker_remote_and_health(run: Any,
                                                                  snapshot: object) -> None:
    result = run({".vendetta/config.yaml": VENDETTA}, env={})
    assert result.errors == []
    assert [w.split(": warning: ")[1].split(":")[0] for w in result.warnings] == [
        "'extends' is not read by reconciler", "'agents' is not read by reconciler",
        "'mcp' is not read by reconciler", "'plugins' is not read by reconciler"]
    assert result.warnings[0].startswith(".vendetta/config.yaml:2:1: warning:")
    assert result.state.project == "notes"
    api = result.resource("process.api")
    assert api.spec["port"] == 18080 and api.health.kind is ProbeKind.HTTP
    assert (api.health.interval, api.health.timeout, api.health.retries) == (5.0, 2.0, 10)
    assert api.spec["env"]["DATABASE_URL"].endswith(":15432/postgres")
    assert [(d.target, d.condition) for d in api.depends_on] == [
        (Address("container", "db"), Condition.HEALTHY)]
    db = result.resource("container.db")
    assert (db.spec["cpus"], db.spec["memory"]) == (0.5, "512m")
    indexer = result.resource("process.indexer@198.18.0.21")
    assert indexer.health.interval == 90.0 and indexer.spec["cwd"] == "~"
    assert result.state.settings["hosts"]["198.18.0.21"] == {
        "address": "198.18.0.21", "user": "deploy", "port": 2222}
    assert _specs(result) == snapshot


def test_vendetta_shape_errors_point_at_the_key(run: Any) -> None:
    result = run({".vendetta/config.yaml": """
services:
  api:
    command: ./api
    port: "eighty"
    healthcheck: {interval: soon}
  db:
    docker: {ports: [5432]}
  worker:
    comand: ./worker
"""}, env={})
    assert ".vendetta/config.yaml:4:5: error: services.api.port: expected an integer" in \
        _firsts(result.errors)
    assert any(e.startswith(".vendetta/config.yaml:5:19: error: services.api.healthcheck."
                            "interval: expected a duration") for e in _firsts(result.errors))
    assert ".vendetta/config.yaml:5:5: error: vendetta service 'api': 'healthcheck' needs " \
        "'url' or 'command'" in _firsts(result.errors)
    assert ".vendetta/config.yaml:7:5: error: vendetta service 'db': 'docker' needs 'image'" \
        in _firsts(result.errors)
    assert ".vendetta/config.yaml:8:3: error: vendetta service 'worker' needs 'command', " \
        "'docker' or 'port'" in _firsts(result.errors)
    assert any(w.startswith(".vendetta/config.yaml:9:5: warning: unknown key 'comand'") and
               "did you mean 'command'?" in w for w in result.warnings)


def test_vendetta_port_only_service_is_an_attached_endpoint(run: Any) -> None:
    result = run({".vendetta/config.yaml": """
name: shop
services:
  web:
    port: 13000
  api:
    command: ./api --upstream http://127.0.0.1:${web.port}
    depends_on: [web]
"""}, env={})
    assert result.errors == []
    web = result.resource("attached.web")
    assert dict(web.spec) == {"target": "port", "port": 13000, "container": None,
                              "process": None, "pid": None}
    api = result.resource("process.api")
    assert api.spec["command"][-1].endswith("http://127.0.0.1:13000")
    assert [(d.target, d.condition) for d in api.depends_on] == [
        (Address("attached", "web"), Condition.HEALTHY)]


def test_par_fixture_makes_ordered_tasks_a_service_can_depend_on(run: Any,
                                                                  snapshot: object) -> None:
    result = run({".par.yaml": PAR, "services.yaml": """
services:
  web: {command: "cat .prepared", depends_on: [install-frontend-deps]}
"""}, env={})
    assert result.errors == [] and result.warnings == []
    names = [str(r.address) for r in result.state.ordered() if r.kind == "task"]
    assert names == ["task.par-include", "task.par-init-1", "task.install-frontend-deps"]
    include = result.resource("task.par-include")
    assert include.spec["command"][-2:] == [".env", "config/*.json"]
    deps = result.resource("task.install-frontend-deps").depends_on
    assert [(d.target, d.condition) for d in deps] == [
        (Address("task", "par-init-1"), Condition.COMPLETED)]
    web = result.resource("process.web")
    assert [d.target for d in web.depends_on] == [Address("task", "install-frontend-deps")]
    assert _specs(result) == snapshot


def test_par_command_errors_have_positions(run: Any) -> None:
    result = run({".par.yaml": """
initialization:
  include: .env
  commands:
    - ""
    - {name: x}
  colours: true
"""}, env={})
    assert ".par.yaml:2:3: error: initialization.include: expected a list of strings" in \
        _firsts(result.errors)
    errors = _firsts(result.errors)
    assert ".par.yaml:4:7: error: initialization.commands[0] needs a command" in errors
    assert ".par.yaml:5:7: error: initialization.commands[1] needs a command" in errors
    assert any(w.startswith(".par.yaml:6:3: warning: unknown key 'colours'")
               for w in result.warnings)


def test_durations() -> None:
    assert duration_seconds("5s") == 5.0 and duration_seconds("500ms") == 0.5
    assert duration_seconds("1m30s") == 90.0 and duration_seconds(2) == 2.0
    assert duration_seconds("1h") == 3600.0
    assert duration_seconds("soon") is None and duration_seconds("5 s") is None
    assert duration_seconds(True) is None and duration_seconds(-1) is None
