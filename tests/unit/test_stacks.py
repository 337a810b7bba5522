"""The stacks catalog and its expansion into resources (pure: no server is started).

Variant choice is made deterministic with RECONCILER_STACK_VARIANT and a FakeHost; the
catalog files themselves are the real ones under stacks/, read through LocalHost (the real
BuildHost). Builds against a FakeHost only are in tests/unit/config/test_build_host.py.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from testing import FakeHost

from reconciler.config import interpolation_env, load
from reconciler.engine.local_host import LocalHost, locate
from reconciler.errors import Severity
from reconciler.model import stacks
from reconciler.model.build import build
from reconciler.model.build_stacks import LABEL_DATA, LABEL_EXPORTS, Choice, choose, data_dir
from reconciler.model.types import Address, DesiredState
from reconciler.workflows.session import exports, parse_with, with_document

SERVICES = """\
name: shop
uses: [postgres, {stack: redis, name: cache}]
services:
  api:
    command: serve
    env:
      DB: ${postgres.env.DATABASE_URL}
      CACHE: redis://127.0.0.1:${cache.port}/1
      URL: ${postgres.url}
    depends_on: [postgres, cache]
"""


def _build(tmp_path: Path, files: dict[str, str], variant: str = "local",
           session: str | None = None, **env: str) -> tuple[DesiredState, list[Any]]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    docs, problems = load(tmp_path)
    assert problems == []
    environ = {"PATH": os.environ.get("PATH", ""), stacks.VARIANT_VAR: variant, **env}
    ports = iter(range(30001, 30100))
    merged = interpolation_env(docs, environ)
    return build(docs, env=merged, session=session, port_allocator=lambda _a: next(ports),
                 host=LocalHost(merged))


def _errors(diagnostics: list[Any]) -> list[str]:
    return [d.render() for d in diagnostics if d.severity is Severity.ERROR]


def test_catalog_has_the_promised_stacks() -> None:
    host = LocalHost({})
    names = host.stack_catalog()
    assert {"postgres", "redis", "memcached"} <= set(names)
    for name in names:
        path = host.find_stack(name)
        assert path == stacks.BUILTIN_DIR / f"{name}.yaml"
        stack, problems = host.load_stack(path)
        assert problems == [] and stack is not None
        assert stack.exports and set(stack.variants) == {"local", "container"}
    assert host.find_stack("../stacks/redis") is None


def test_stacks_path_is_searched_first(tmp_path: Path) -> None:
    (tmp_path / "redis.yaml").write_text("exports: {X: y}\ncontainer:\n  services:\n"
                                         "    s: {type: docker, image: mine}\n")
    host = LocalHost({stacks.PATH_VAR: str(tmp_path)})
    path = host.find_stack("redis")
    assert path == tmp_path / "redis.yaml"
    stack, problems = host.load_stack(path)
    assert problems == [] and stack is not None and set(stack.variants) == {"container"}


def test_locate_finds_commands_and_the_newest_glob_match(tmp_path: Path) -> None:
    for version in ("9", "10"):
        binary = tmp_path / version / "bin" / "server"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    assert locate(f"{tmp_path}/${{version}}/bin/server", None) == f"{tmp_path}/10/bin/server"
    assert locate(f"{tmp_path}/${{version}}/bin/server", "9") == f"{tmp_path}/9/bin/server"
    assert locate("sh", None) is not None and locate("no-such-binary-here", None) is None


@pytest.mark.requires("postgres-bin", "redis-bin")
def test_local_variant_resources_names_and_references(tmp_path: Path) -> None:
    state, diagnostics = _build(tmp_path, {"services.yaml": SERVICES})
    assert _errors(diagnostics) == []
    names = [str(r.address) for r in state.ordered()]
    assert names == ["task.postgres-init", "process.postgres", "process.cache", "process.api"]
    pg = state.resources[Address("process", "postgres")]
    port = pg.spec["port"]
    assert pg.spec["command"][0].endswith("/bin/postgres") and str(port) in pg.spec["command"]
    assert pg.spec["env"]["DATABASE_URL"] == f"postgresql://postgres@127.0.0.1:{port}/postgres"
    assert [str(d.target) for d in pg.depends_on] == ["task.postgres-init"]
    assert pg.health is not None and f"-p '{port}'" in pg.health.target
    api = state.resources[Address("process", "api")]
    cache_port = state.resources[Address("process", "cache")].spec["port"]
    assert api.spec["env"] == {"DB": pg.spec["env"]["DATABASE_URL"],
                               "CACHE": f"redis://127.0.0.1:{cache_port}/1",
                               "URL": pg.spec["env"]["DATABASE_URL"]}
    assert {str(d.target) for d in api.depends_on} == {"process.postgres", "process.cache"}
    assert pg.labels[LABEL_EXPORTS] == "DATABASE_URL,PGHOST,PGPORT,PGUSER"
    assert exports(state)["REDIS_URL"] == f"redis://127.0.0.1:{cache_port}/0"


def test_container_variant_publishes_the_allocated_port(tmp_path: Path) -> None:
    state, diagnostics = _build(tmp_path, {"services.yaml": SERVICES}, variant="container")
    assert _errors(diagnostics) == []
    pg = state.resources[Address("container", "postgres")]
    assert pg.spec["image"] == "postgres:16"
    host = pg.spec["ports"][0]["host"]
    assert pg.spec["ports"][0]["container"] == 5432 and isinstance(host, int)
    assert pg.health is not None and pg.health.target == f"127.0.0.1:{host}"
    assert exports(state)["DATABASE_URL"] == f"postgresql://postgres@127.0.0.1:{host}/postgres"


def test_versions_pick_the_image_tag(tmp_path: Path) -> None:
    state, _ = _build(tmp_path, {"services.yaml": "uses: [{stack: redis, version: 6}]\n"},
                      variant="container")
    assert state.resources[Address("container", "redis")].spec["image"] == "redis:6"


def test_unknown_stack_points_at_the_use_with_a_suggestion(tmp_path: Path) -> None:
    _, diagnostics = _build(tmp_path, {"services.yaml": "uses: [postgress]\n"})
    [message] = _errors(diagnostics)
    assert "services.yaml:1:8: error: unknown stack 'postgress'" in message
    assert "did you mean 'postgres'?" in message


def test_local_variant_missing_binaries_is_a_clear_error(tmp_path: Path) -> None:
    stack, _ = LocalHost({}).load_stack(stacks.BUILTIN_DIR / "redis.yaml")
    assert stack is not None
    choice = choose(stack, None, {stacks.VARIANT_VAR: "local"}, FakeHost())
    assert choice == "local: not found: redis-server"
    fallback = choose(stack, None, {}, FakeHost())
    assert isinstance(fallback, Choice) and fallback.variant.name == "container"


def test_locald_postgres_maps_onto_the_stack(tmp_path: Path) -> None:
    state, diagnostics = _build(tmp_path, {"locald.toml": """\
        [services.web]
        command = "serve"
        env = { DB = "${services.db.url}" }
        depends_on = ["db"]
        [services.db]
        type = "postgres"
        port = 25432
        env = { EXTRA = "1" }
        """}, variant="container")
    assert _errors(diagnostics) == []
    db = state.resources[Address("container", "db")]
    assert db.spec["ports"][0]["host"] == 25432 and db.spec["env"]["EXTRA"] == "1"
    web = state.resources[Address("process", "web")]
    assert web.spec["env"]["DB"] == "postgresql://postgres@127.0.0.1:25432/postgres"


def test_sessions_get_their_own_data_dirs(tmp_path: Path) -> None:
    one = data_dir(tmp_path, "db", "a", {})
    two = data_dir(tmp_path, "db", "b", {})
    assert one == str(tmp_path / ".reconciler/sessions/a/stacks/db") and one != two
    home = Path("/var/lib/postgresql")
    other_user = data_dir(tmp_path, "db", "a", {}, run_as_home=home)
    assert other_user != data_dir(tmp_path, "db", "b", {}, run_as_home=home)
    assert other_user.startswith("/var/lib/postgresql/reconciler-stacks/")
    assert other_user.endswith("/db")
    moved = data_dir(tmp_path, "db", None, {"RECONCILER_STATE_DIR": "/srv/state"})
    assert moved == "/srv/state/stacks/db"


def test_with_stacks_parse_and_document(tmp_path: Path) -> None:
    pairs = parse_with(["postgres,redis", "db=postgres", " "])
    assert pairs == [("postgres", "postgres"), ("redis", "redis"), ("db", "postgres")]
    doc = with_document(tmp_path, pairs[2:])
    env = {stacks.VARIANT_VAR: "container"}
    state, diagnostics = build([doc], env=env, session="s", port_allocator=lambda _a: 31000,
                               host=LocalHost(env))
    assert _errors(diagnostics) == []
    db = state.resources[Address("container", "db")]
    assert db.labels[LABEL_DATA].endswith("/sessions/s/stacks/db")
    assert exports(state)["PGPORT"] == "31000"


def test_substitute_leaves_other_variables_alone() -> None:
    value = {"a": ["${port}", "${HOME}", "$${name}"], "b": "${name}-${version}"}
    params = {"port": "${db.port}", "name": "db", "version": "16"}
    assert stacks.substitute(value, params) == {
        "a": ["${db.port}", "${HOME}", "$${name}"], "b": "db-16"}
