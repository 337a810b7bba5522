"""compose_file parsing and compose_resources: files -> one Resource per Compose service."""

from __future__ import annotations

from pathlib import Path

from reconciler.config.compose_file import (
    discover_compose_files,
    load_compose_files,
    parse_compose_text,
    parse_env_text,
)
from reconciler.errors import Diagnostic, Severity
from reconciler.model.compose import (
    compose_resources,
    discovered_compose_resources,
    entry_compose_resources,
    merge_service,
    project_name,
    seconds,
)
from reconciler.model.secrets import is_marker
from reconciler.model.types import Address, Condition, ProbeKind, Resource

BASE = """\
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=hunter22
      - POSTGRES_DB=${DB_NAME:-app}
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 2s
      timeout: 1m30s
      retries: 5
  api:
    image: api:${TAG}
    ports:
      - 8080
      - "127.0.0.1:9000:9000"
      - target: 53
        published: 5353
        protocol: udp
    depends_on:
      db:
        condition: service_healthy
  debug:
    image: busybox
    profiles: [debug]
    depends_on: [api]
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def build(tmp: Path, profiles: list[str] | None = None, env: dict[str, str] | None = None,
          files: tuple[str, ...] = ("compose.yaml",)) -> tuple[list[Resource], list[Diagnostic]]:
    docs, problems = load_compose_files([tmp / f for f in files])
    assert problems == []
    return compose_resources(docs, project_dir=tmp, scope="Shop_CI-1", name="compose",
                             files=list(files), profiles=profiles or [], env_file=None,
                             order_start=10, environ=env if env is not None else {"TAG": "1"})


def test_one_resource_per_enabled_service_with_positions(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    resources, diagnostics = build(tmp_path)
    assert diagnostics == []
    assert [str(r.address) for r in resources] == ["compose.compose.db", "compose.compose.api"]
    db, api = resources
    assert db.source is not None and (db.source.line, db.source.column) == (2, 3)
    assert api.source is not None and (api.source.line, api.source.column) == (12, 3)
    assert db.source.file == str(tmp_path / "compose.yaml")
    assert [r.order for r in resources] == [10, 11]
    assert api.spec["project"] == "shop_ci-1_compose"
    assert api.spec["files"] == [str((tmp_path / "compose.yaml").resolve())]
    assert api.spec["service"] == "api" and api.spec["profiles"] == []


def test_depends_on_and_healthcheck(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    db, api = build(tmp_path)[0]
    assert [(d.target, d.condition) for d in api.depends_on] == [
        (Address("compose", "compose.db"), Condition.HEALTHY)]
    dep_source = api.depends_on[0].source
    assert dep_source is not None and (dep_source.line, dep_source.column) == (21, 7)
    assert db.health is not None and db.health.kind is ProbeKind.DOCKER
    assert (db.health.interval, db.health.timeout, db.health.retries) == (2.0, 90.0, 5)
    assert api.health is None


def test_definition_is_normalized(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    db, api = build(tmp_path)[0]
    assert api.spec["definition"]["ports"] == ["8080", "127.0.0.1:9000:9000", "5353:53/udp"]
    assert api.spec["definition"]["image"] == "api:1"
    assert api.spec["definition"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    env = db.spec["definition"]["environment"]
    assert env["POSTGRES_DB"] == "app"
    assert is_marker(env["POSTGRES_PASSWORD"])  # secrets never in the spec in clear
    assert "hunter22" not in str(db.spec)
    assert db.secrets == {"definition.environment.POSTGRES_PASSWORD": "hunter22"}


def test_profiles_select_services(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    resources, _ = build(tmp_path, profiles=["debug"])
    debug = resources[-1]
    assert str(debug.address) == "compose.compose.debug"
    assert debug.spec["profiles"] == ["debug"]
    assert [(d.target.name, d.condition) for d in debug.depends_on] == [
        ("compose.api", Condition.STARTED)]


def test_unset_variable_warns_with_the_service_position(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    _, diagnostics = build(tmp_path, env={})
    assert [d.severity for d in diagnostics] == [Severity.WARNING]
    assert "TAG" in diagnostics[0].summary
    assert diagnostics[0].source is not None and diagnostics[0].source.line == 12


def test_env_file_feeds_interpolation_and_environment_wins(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    write(tmp_path, ".env", "TAG=from-file\nDB_NAME='shop'\n")
    db, api = build(tmp_path, env={})[0]
    assert api.spec["definition"]["image"] == "api:from-file"
    assert db.spec["definition"]["environment"]["POSTGRES_DB"] == "shop"
    _, api2 = build(tmp_path, env={"TAG": "env"})[0]
    assert api2.spec["definition"]["image"] == "api:env"


def test_override_file_merges(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", BASE)
    write(tmp_path, "compose.override.yaml",
          "services:\n  api:\n    environment: {DEBUG: 1}\n    ports: ['7000:7000']\n")
    assert [p.name for p in discover_compose_files(tmp_path)] == [
        "compose.yaml", "compose.override.yaml"]
    _, api = build(tmp_path, files=("compose.yaml", "compose.override.yaml"))[0]
    assert api.spec["definition"]["ports"][-1] == "7000:7000"
    assert api.spec["definition"]["environment"] == {"DEBUG": "1"}
    assert api.source is not None and api.source.file.endswith("compose.yaml")


def test_undefined_dependency_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", "services:\n  a:\n    image: x\n    depends_on: [ghost]\n")
    resources, diagnostics = build(tmp_path)
    assert len(resources) == 1 and resources[0].depends_on == ()
    assert [d.severity for d in diagnostics] == [Severity.ERROR]
    assert "ghost" in diagnostics[0].summary


def test_project_name_is_compose_safe() -> None:
    assert project_name("My.Project_s1", "db stack") == "my_project_s1_db_stack"
    assert project_name("-x", "y") == "x_y"


def test_yaml_error_has_line_and_column() -> None:
    doc, diagnostics = parse_compose_text("services:\n  a:\n    image: x\n   bad: [\n",
                                          Path("/p/compose.yaml"))
    assert doc is None
    assert diagnostics[0].source is not None and diagnostics[0].source.line == 4


def test_non_mapping_service_is_diagnosed() -> None:
    doc, diagnostics = parse_compose_text("services:\n  a: 3\n", Path("/p/c.yaml"))
    assert doc is not None
    assert "'a' must be a mapping" in diagnostics[0].summary
    assert diagnostics[0].source is not None and diagnostics[0].source.line == 2


def test_parse_env_text() -> None:
    text = "# c\nexport A=1\nB='two words'\nC=\"x\"\nD=v # note\nnoeq\n"
    assert parse_env_text(text) == {"A": "1", "B": "two words", "C": "x", "D": "v"}


def test_discovered_resources_use_the_name_compose(tmp_path: Path) -> None:
    path = write(tmp_path, "docker-compose.yml", "services:\n  web:\n    image: x\n")
    docs, _ = load_compose_files([path])
    resources, diagnostics = discovered_compose_resources(docs, project_dir=tmp_path,
                                                          scope="p", order_start=0, environ={})
    assert diagnostics == []
    assert [str(r.address) for r in resources] == ["compose.compose.web"]
    assert resources[0].spec["project"] == "p_compose"


def test_entry_with_files_profiles_and_project_name(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    write(tmp_path / "ops", "stack.yml", BASE)
    entry = {"type": "compose", "files": ["ops/stack.yml"], "profiles": ["debug"],
             "project_name": "Shop"}
    resources, diagnostics = entry_compose_resources("shop", entry, project_dir=tmp_path,
                                                     scope="p", order_start=0,
                                                     environ={"TAG": "1"})
    assert diagnostics == []
    assert [r.address.name for r in resources] == ["shop.db", "shop.api", "shop.debug"]
    assert {r.spec["project"] for r in resources} == {"shop"}
    assert resources[0].spec["files"] == [str((tmp_path / "ops/stack.yml").resolve())]


def test_entry_with_missing_file_is_diagnosed(tmp_path: Path) -> None:
    resources, diagnostics = entry_compose_resources("x", {"files": ["nope.yml"]},
                                                     project_dir=tmp_path, scope="p",
                                                     order_start=0)
    assert resources == [] and diagnostics[0].severity is Severity.ERROR


def test_merge_service_rules() -> None:
    merged = merge_service({"volumes": ["a:/data", "b:/logs"], "command": ["x"],
                            "labels": {"a": "1"}},
                           {"volumes": ["c:/data"], "command": ["y"], "labels": {"b": "2"}})
    assert merged == {"volumes": ["c:/data", "b:/logs"], "command": ["y"],
                      "labels": {"a": "1", "b": "2"}}


def test_seconds() -> None:
    assert seconds("1m30s", 0) == 90.0
    assert seconds("500ms", 0) == 0.5
    assert seconds(None, 7.0) == 7.0
    assert seconds(3, 0) == 3.0
