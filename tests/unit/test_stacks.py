"""The stacks catalog and its expansion into resources (pure: no server is started).

Variant choice is made deterministic with RECONCILER_STACK_VARIANT and a stub locator; the
catalog files themselves are the real ones under stacks/.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler import stacks
from reconciler.config import interpolation_env, load
from reconciler.errors import Severity
from reconciler.model.build import build
from reconciler.model.build_stacks import LABEL_DATA, LABEL_EXPORTS, data_dir
from reconciler.model.types import Address, DesiredState
from reconciler.session import exports, parse_with, with_document

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
    return build(docs, env=interpolation_env(docs, environ), session=session,
                 port_allocator=lambda _a: next(ports))


def _errors(diagnostics: list[Any]) -> list[str]:
    return [d.render() for d in diagnostics if d.severity is Severity.ERROR]


def test_catalog_has_the_promised_stacks() -> None:
    names = stacks.catalog({})
    assert {"postgres", "redis", "memcached"} <= set(names)
    for name in names:
        stack, problems = stacks.load(stacks.BUILTIN_DIR / f"{name}.yaml")
        assert problems == [] and stack is not None
        assert stack.exports and set(stack.variants) == {"local", "container"}


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
    stack, _ = stacks.load(stacks.BUILTIN_DIR / "redis.yaml")
    assert stack is not None
    choice = stacks.choose(stack, None, {stacks.VARIANT_VAR: "local"},
                           locate_fn=lambda _r, _v: None)
    assert choice == "local: not found: redis-server"
    fallback = stacks.choose(stack, None, {}, locate_fn=lambda _r, _v: None)
    assert isinstance(fallback, stacks.Choice) and fallback.variant.name == "container"


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
    other_user = data_dir(tmp_path, "db", "a", {}, run_as="postgres")
    assert other_user != data_dir(tmp_path, "db", "b", {}, run_as="postgres")
    assert "reconciler-stacks" in other_user and other_user.endswith("/db")
    moved = data_dir(tmp_path, "db", None, {"RECONCILER_STATE_DIR": "/srv/state"})
    assert moved == "/srv/state/stacks/db"


def test_with_stacks_parse_and_document(tmp_path: Path) -> None:
    pairs = parse_with(["postgres,redis", "db=postgres", " "])
    assert pairs == [("postgres", "postgres"), ("redis", "redis"), ("db", "postgres")]
    doc = with_document(tmp_path, pairs[2:])
    state, diagnostics = build([doc], env={stacks.VARIANT_VAR: "container"}, session="s",
                               port_allocator=lambda _a: 31000)
    assert _errors(diagnostics) == []
    db = state.resources[Address("container", "db")]
    assert db.labels[LABEL_DATA].endswith("/sessions/s/stacks/db")
    assert exports(state)["PGPORT"] == "31000"


def test_substitute_leaves_other_variables_alone() -> None:
    value = {"a": ["${port}", "${HOME}", "$${name}"], "b": "${name}-${version}"}
    params = {"port": "${db.port}", "name": "db", "version": "16"}
    assert stacks.substitute(value, params) == {
        "a": ["${db.port}", "${HOME}", "$${name}"], "b": "db-16"}
