"""model.build asks a BuildHost for every host fact: fake hosts decide, the real host is never read.

Stacks are the real catalog files, parsed here before the build; the FakeHost alone decides
which binaries and users exist and what a package directory holds.
"""

from __future__ import annotations

import builtins
import glob
import io
import os
import pwd
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest
from conftest import Run
from testing import FakeHost

from reconciler.actuators.package.facts import answer
from reconciler.config import load
from reconciler.errors import InternalError
from reconciler.model import packaging, stacks
from reconciler.model.build import build
from reconciler.model.types import Address

PG_BIN = "/usr/lib/postgresql/${version}/bin/postgres"
PACKAGE = """\
services:
  app:
    type: package
    host: local
    package: ./pkg
    version: "{version}"
    install_path: /opt/app
"""


def catalog(*names: str) -> dict[str, stacks.Stack]:
    found = {}
    for name in names:
        path = stacks.BUILTIN_DIR / f"{name}.yaml"
        stack, problems = stacks.parse(path, path.read_text(encoding="utf-8"))
        assert problems == [] and stack is not None
        found[name] = stack
    return found


def test_a_stack_runs_locally_when_the_host_has_its_binaries(run: Run) -> None:
    host = FakeHost(binaries={"redis-server": "/fake/bin/redis-server"},
                    stacks=catalog("redis"))
    result = run({"services.yaml": "uses: [{stack: redis, name: cache}]\n"}, host=host,
                 port_allocator=lambda _a: 30500)
    assert result.errors == []
    cache = result.resource("process.cache")
    assert cache.spec["command"][:3] == ["/fake/bin/redis-server", "--port", "30500"]
    assert host.asked[:2] == ["find redis", "locate redis-server"]


def test_a_stack_falls_back_to_its_container_without_the_binaries(run: Run) -> None:
    host = FakeHost(stacks=catalog("redis"))
    result = run({"services.yaml": "uses: [{stack: redis, version: 6}]\n"}, host=host)
    assert result.errors == []
    assert result.resource("container.redis").spec["image"] == "redis:6"
    assert "locate redis-server" in host.asked


def test_as_root_a_stack_runs_as_its_user_with_data_in_that_home(run: Run) -> None:
    home = Path("/fake/home/postgres")
    host = FakeHost(binaries={PG_BIN: "/fake/pg/16/bin/postgres"}, users={"postgres": home},
                    uid=0, stacks=catalog("postgres"))
    result = run({"services.yaml": "uses: [postgres]\n"}, host=host)
    assert result.errors == []
    server = result.resource("process.postgres")
    assert server.spec["user"] == "postgres" and server.spec["command"][0] == (
        "/fake/pg/16/bin/postgres")
    assert server.labels["io.reconciler.stack-data"].startswith(f"{home}/reconciler-stacks/")
    without_user = FakeHost(binaries={PG_BIN: "/fake/pg/16/bin/postgres"}, uid=0,
                            stacks=catalog("postgres"))
    forced = run({"services.yaml": "uses: [postgres]\n"}, host=without_user,
                 env={stacks.VARIANT_VAR: "local"})
    [message] = forced.errors
    assert "cannot run on this host: local: user 'postgres' does not exist" in message


def test_unknown_stack_suggests_from_the_hosts_catalog(run: Run) -> None:
    result = run({"services.yaml": "uses: [rediss]\n"}, host=FakeHost(stacks=catalog("redis")))
    [message] = result.errors
    assert "unknown stack 'rediss'" in message and "did you mean 'redis'?" in message


def test_package_spec_comes_from_the_hosts_loader(run: Run, tmp_path: Path) -> None:
    facts = {"name": "app", "version": "1.0", "manifest_file": "manifest.toml",
             "content_hash": "sha256:" + "ab" * 32}
    host = FakeHost(facts={("package", "package", str(tmp_path / "pkg")):
                           answer(facts, [])})  # no such directory on disk
    result = run({"services.yaml": PACKAGE.format(version="1.0")}, host=host)
    assert result.errors == []
    assert result.resource("package.app").spec == {
        "package": str(tmp_path / "pkg"), "version": "1.0", "install_path": "/opt/app",
        "content_hash": facts["content_hash"]}
    wrong = run({"services.yaml": PACKAGE.format(version="2.0")}, host=host)
    [message] = wrong.errors
    assert "version '2.0' disagrees with the manifest's '1.0' (manifest.toml)" in message


def test_package_problems_from_the_loader_are_errors_at_the_service(run: Run,
                                                                    tmp_path: Path) -> None:
    problem = packaging.Problem("link 'x' -> '/etc' points outside the package", "keep it in")
    host = FakeHost(facts={("package", "package", str(tmp_path / "pkg")):
                           answer(None, [problem])})
    result = run({"services.yaml": PACKAGE.format(version="1.0")}, host=host)
    assert result.errors == ["services.yaml:5:5: error: package 'app': link 'x' -> '/etc' "
                             "points outside the package\n  hint: keep it in"]
    assert result.resource("package.app").spec["content_hash"] == ""


def test_without_a_host_build_refuses_to_guess(run: Run) -> None:
    assert run({"services.yaml": "services: {a: {command: x}}\n"}, host=None).errors == []
    with pytest.raises(InternalError, match="given no BuildHost"):
        run({"services.yaml": "uses: [redis]\n"}, host=None)


def _refuse(name: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise AssertionError(f"model.build called {name}")

    return refuse


@contextmanager
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every way build could read a file or ask the host raises while the block runs."""
    with monkeypatch.context() as patch:
        for owner, name in [(builtins, "open"), (io, "open"), (os, "open"), (os, "stat"),
                            (os, "lstat"), (os, "scandir"), (os, "listdir"), (os, "access"),
                            (os, "geteuid"), (shutil, "which"), (glob, "glob"),
                            (pwd, "getpwnam")]:
            patch.setattr(owner, name, _refuse(f"{owner.__name__}.{name}"))
        yield


def test_build_does_no_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "services.yaml").write_text(
        "uses: [postgres, {stack: redis, name: cache}]\n" + PACKAGE.format(version="1.0")
        + "  api:\n    command: serve ${cache.port}\n    env: {DB: '${postgres.url}'}\n"
          "    depends_on: [postgres, cache, app]\n")
    docs, problems = load(tmp_path)
    assert problems == []
    facts = answer({"name": "app", "version": "1.0", "manifest_file": "manifest.toml",
                    "content_hash": "sha256:" + "cd" * 32}, [])
    host = FakeHost(binaries={PG_BIN: "/fake/pg/16/bin/postgres",
                              "redis-server": "/fake/bin/redis-server"},
                    users={"postgres": Path("/fake/home/postgres")}, uid=0,
                    stacks=catalog("postgres", "redis"),
                    facts={("package", "package", str(tmp_path / "pkg")): facts})
    with no_io(monkeypatch):
        state, diagnostics = build(docs, env={}, session="s", host=host,
                                   port_allocator=lambda _a: 31000)
    assert diagnostics == []
    assert sorted(str(a) for a in state.resources) == [
        "package.app", "process.api", "process.cache", "process.postgres",
        "task.postgres-init"]
    with no_io(monkeypatch), pytest.raises(AssertionError, match=r"called (builtins|io)\.open"):
        Path(tmp_path / "services.yaml").read_text()  # the guard itself bites


COMPOSE_WEB = """\
services:
  web:
    image: "busybox:${TAG:-1}"
    healthcheck: {test: ["CMD", "true"]}
"""
COMPOSE_SHOP = """\
services:
  db: {image: "busybox:${DB_TAG}", environment: {DB_PASSWORD: hunter2}}
"""
COMPOSE_PROJECT = """\
services:
  shop:
    type: compose
    files: [ops/stack.yml]
    env_file: ops/ci.env
  api:
    command: serve
    depends_on: [shop.db, compose.web]
"""


def test_compose_files_come_from_the_host(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``type: compose`` entry's files and the auto-discovered compose.yaml, with their env
    files, are found, read and resolved by the host alone: the build does no I/O."""
    (tmp_path / "services.yaml").write_text(COMPOSE_PROJECT)
    (tmp_path / "compose.yaml").write_text(COMPOSE_WEB)  # found by load(); build asks the host
    docs, problems = load(tmp_path)
    assert problems == []
    host = FakeHost(files={tmp_path / "compose.yaml": COMPOSE_WEB,
                           tmp_path / ".env": "TAG=2\n",
                           tmp_path / "ops/stack.yml": COMPOSE_SHOP,
                           tmp_path / "ops/ci.env": "DB_TAG=3\n"})
    with no_io(monkeypatch):
        state, diagnostics = build(docs, env={}, session="s", host=host)
    assert diagnostics == []
    db, web = state.resources[Address("compose", "shop.db")], state.resources[
        Address("compose", "compose.web")]
    assert db.spec["files"] == [str(tmp_path / "ops/stack.yml")]
    assert db.spec["env_file"] == str(tmp_path / "ops/ci.env")
    assert db.spec["definition"]["image"] == "busybox:3" and "hunter2" not in str(db.spec)
    assert web.spec["files"] == [str(tmp_path / "compose.yaml")]
    assert web.spec["definition"]["image"] == "busybox:2"
    assert [str(d.target) for d in state.resources[Address("process", "api")].depends_on] == [
        "compose.shop.db", "compose.compose.web"]
    assert f"read {tmp_path / 'ops/stack.yml'}" in host.asked
    assert f"compose files {tmp_path}" in host.asked


def test_compose_entry_claims_the_discovered_file_and_reports_a_missing_one(
        run: Run, tmp_path: Path) -> None:
    host = FakeHost(files={tmp_path / "compose.yaml": COMPOSE_WEB})
    claimed = run({"services.yaml": "services: {app: {type: compose, files: compose.yaml}}\n",
                   "compose.yaml": COMPOSE_WEB}, host=host)
    assert claimed.errors == []
    assert sorted(str(a) for a in claimed.state.resources) == ["compose.app.web"]
    missing = run({"services.yaml": "services: {app: {type: compose, files: [gone.yml]}}\n"},
                  host=host)
    assert [e.split("\n")[0] for e in missing.errors] == [  # at its `files:` entry
        "services.yaml:1:41: error: compose file 'gone.yml' of entry 'app': "
        "cannot read compose file: No such file or directory"]


def test_without_a_host_compose_files_are_not_guessed(run: Run) -> None:
    with pytest.raises(InternalError, match="given no BuildHost but needs the Compose files"):
        run({"services.yaml": "services: {app: {type: compose}}\n"}, host=None)
