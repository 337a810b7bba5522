"""Suite-wide test plumbing: the `require` helper, its fixture and the `requires` marker.

`require(component, ...)` (implemented in tests/integration/infra/components.py) checks real
components of the test machine: docker, compose-v1, compose-v2, sshd, netns, wireguard,
postgres-bin, redis-bin. With `CI=true` (or `CI=1`) a missing one fails the test with a message
that names it and says to run scripts/setup-test-env.sh; elsewhere the test is skipped with the
reason. Use it as a function, as the `require` fixture, or as
`@pytest.mark.requires("docker", ...)`.

Test doubles live in tests/testing (importable as `testing`): FakeActuator and FakeHost. The
`fake_kind` fixture registers a fresh FakeActuator as kind "fake" in the actuator registry for
one test and removes it afterwards; production code never knows that kind.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_TESTS = Path(__file__).resolve().parent
for _path in (str(_TESTS / "integration"), str(_TESTS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)  # makes `infra` and `testing` importable everywhere

from infra.components import COMPONENTS, in_ci, missing_reason, require  # noqa: E402
from testing import FakeActuator  # noqa: E402

from reconciler.actuators import registry  # noqa: E402

__all__ = ["COMPONENTS", "in_ci", "missing_reason", "require"]


@pytest.fixture(scope="session", name="require")
def require_fixture() -> Callable[..., None]:
    """The `require(component, ...)` helper, as a fixture for tests and other fixtures."""
    return require


@pytest.fixture(name="fake_kind")
def fake_kind_fixture() -> Iterator[FakeActuator]:
    """A fresh FakeActuator registered as kind "fake" for this test only."""
    fake = FakeActuator()
    registry.register("fake", fake)
    try:
        yield fake
    finally:
        registry.unregister("fake")


_CRASH_ROOT: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    # crash reports of the CLIs the tests run (exit 3) go to a directory of this run, removed
    # at the end (tests that look for one set their own XDG_STATE_HOME)
    global _CRASH_ROOT
    if "XDG_STATE_HOME" not in os.environ:
        _CRASH_ROOT = tempfile.mkdtemp(prefix="reconciler-test-state-")
        os.environ["XDG_STATE_HOME"] = _CRASH_ROOT
    config.addinivalue_line(
        "markers",
        "requires(*components): the test needs these real components "
        f"({', '.join(COMPONENTS)}); fails under CI=true, skips elsewhere",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CRASH_ROOT is not None:
        shutil.rmtree(_CRASH_ROOT, ignore_errors=True)
        os.environ.pop("XDG_STATE_HOME", None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers(name="requires"):
        require(*marker.args)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throw-away PostgreSQL server for the whole session (tests/integration/infra/postgres.py);
    fails under CI=true when PostgreSQL is missing, skips elsewhere."""
    require("postgres-bin")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if in_ci():
            pytest.fail("psycopg is missing: run scripts/setup-test-env.sh")
        pytest.skip("psycopg is not installed")
    from infra.postgres import Cluster

    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(autouse=True)
def _key_home(tmp_path_factory: pytest.TempPathFactory,
              monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret key files (``$XDG_CONFIG_HOME/reconciler/keys``) go to a throw-away directory,
    never the user's real config, and no shared key leaks in from the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("RECONCILER_SECRET_KEY", raising=False)
