"""``reconciler run`` end to end with the real postgres stack (local server binaries).

A command that connects to $DATABASE_URL with psql passes and its session is gone afterwards;
``--keep`` keeps the session (destroyed in a finalizer); a failing command's exit code is
passed through. Sessions are named per test so a finalizer can destroy exactly its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.requires("postgres-bin", "redis-bin")


def reconciler(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """New session names; whatever they left behind is destroyed at the end."""
    made: list[str] = []

    def new() -> str:
        made.append(f"t-{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield new
    for name in made:
        if (tmp_path / ".reconciler" / "sessions" / name).exists():
            reconciler(tmp_path, "--session", name, "destroy", "--auto-approve")


def test_run_with_postgres_connects_and_cleans_up(tmp_path: Path,
                                                  session: Callable[[], str]) -> None:
    if shutil.which("psql") is None:
        pytest.fail("psql is missing (Debian package postgresql-client)", pytrace=False)
    name = session()
    done = reconciler(tmp_path, "run", "--with", "postgres", "--session", name, "--",
                      "sh", "-c", 'psql "$DATABASE_URL" -tAc "select 40 + 2"; '
                                  'echo "session=$RECONCILER_SESSION"')
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["42", f"session={name}"]
    assert "is ready (DATABASE_URL" in done.stderr
    assert not (tmp_path / ".reconciler" / "sessions" / name).exists()


def test_keep_keeps_the_session_and_exit_codes_pass_through(
        tmp_path: Path, session: Callable[[], str]) -> None:
    (tmp_path / "services.yaml").write_text(
        "services:\n  app:\n    command: sleep 300\n    depends_on: [cache]\n"
        "uses: [{stack: redis, name: cache}]\n")
    kept = session()
    done = reconciler(tmp_path, "run", "--keep", "--session", kept, "--",
                      "sh", "-c", 'echo "$REDIS_URL"; exit 7')
    assert done.returncode == 7, done.stderr
    assert done.stdout.startswith("redis://127.0.0.1:")
    assert f"kept session {kept}" in done.stderr
    rows = json.loads(reconciler(tmp_path, "--session", kept, "status", "--json").stdout)
    states = {r["address"]: r["state"] for r in rows["resources"]}
    assert states == {"process.cache": "running", "process.app": "running"}
    gone = session()
    done = reconciler(tmp_path, "run", "--session", gone, "--", "false")
    assert done.returncode == 1
    assert not (tmp_path / ".reconciler" / "sessions" / gone).exists()


def test_provisioning_failure_prints_the_log_tail_and_exits_1(
        tmp_path: Path, session: Callable[[], str]) -> None:
    (tmp_path / "services.yaml").write_text(
        "services:\n  broken:\n    command: sh -c 'echo boom-from-broken >&2; exit 4'\n")
    name = session()
    done = reconciler(tmp_path, "run", "--session", name, "--", "true")
    assert done.returncode == 1
    assert "process.broken" in done.stderr and "boom-from-broken" in done.stderr
    assert not (tmp_path / ".reconciler" / "sessions" / name).exists()


def test_a_kept_session_without_config_is_seen_and_destroyed_as_told(
        tmp_path: Path, session: Callable[[], str]) -> None:
    kept = session()
    inner = f"cd {tmp_path} && {sys.executable} -m reconciler status --json"
    done = reconciler(tmp_path, "run", "--with", "cache=redis", "--keep", "--session", kept,
                      "--", "sh", "-c", inner)
    assert done.returncode == 0, done.stderr
    # `reconciler status` inside CMD sees the session's stack (RECONCILER_SESSION)
    rows = json.loads(done.stdout)["resources"]
    assert {r["address"]: r["state"] for r in rows} == {"process.cache": "running"}
    told = done.stderr.split("remove it with: ")[1].split()
    assert told[:2] == ["reconciler", "-C"] and told[-2:] == ["destroy", "--auto-approve"]
    gone = subprocess.run([sys.executable, "-m", "reconciler", *told[1:]], capture_output=True,
                          text=True, timeout=120, check=False)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "1 destroyed" in gone.stdout + gone.stderr, gone.stdout + gone.stderr
    after = reconciler(tmp_path, "--session", kept, "status", "--json")
    left = {r["address"]: (r["state"], r["pid"]) for r in json.loads(after.stdout)["resources"]}
    assert left == {"process.cache": ("absent", None)}, after.stdout + after.stderr
