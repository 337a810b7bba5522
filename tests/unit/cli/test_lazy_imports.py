"""The hot commands import only what they use (issue 14: the CLI's start is what users wait for).

Each command runs in a fresh interpreter (``python -m reconciler`` through runpy) and reports
which heavy libraries ended up in ``sys.modules``: ``validate`` and the local-process ``plan``
/ ``apply`` / no-op ``plan`` / ``destroy`` need none of docker, pydantic, typer, rich, fabric,
deepdiff, the web server or the PostgreSQL driver, nor urllib.request (only an http probe needs
it). networkx is imported only where a plan's graph is built: a plan or apply with changes
imports it, ``validate`` and a no-op plan or apply (nothing to order, no graph) do not.
An assertion on modules, not on time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

HEAVY = ("networkx", "docker", "pydantic", "pydantic_core", "typer", "click", "rich", "fabric",
         "paramiko", "invoke", "deepdiff", "starlette", "uvicorn", "psycopg", "watchdog",
         "requests", "urllib3", "urllib.request", "http.client")
# the standard library's heavy corners, off a no-op plan / apply (networkx's import brings
# shutil and tempfile to a plan with changes, jsonschema to validate): zoneinfo only for
# change windows, shutil (lzma, bz2) only to locate a binary (argparse's default formatter
# asks it for the terminal width), tempfile (random) only for a notify socket path too long
STDLIB = ("zoneinfo", "shutil", "lzma", "bz2", "tempfile")

PROBE = """\
import runpy, sys
heavy = sys.argv[1].split(",")
sys.argv = ["reconciler", *sys.argv[2:]]
try:
    runpy.run_module("reconciler", run_name="__main__")
except SystemExit as done:
    assert done.code in (0, None), done.code
print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def run(project: Path, *argv: str, heavy: tuple[str, ...] = HEAVY) -> tuple[int, str]:
    env = {**os.environ, "RECONCILER_STATE_DIR": str(project / "state"), "NO_COLOR": "1"}
    env.pop("RECONCILER_SESSION", None)
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(heavy), "-C", str(project),
                           *argv], capture_output=True, text=True, timeout=60, check=False,
                          env=env, stdin=subprocess.DEVNULL)
    return done.returncode, done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    name = f"lazy{uuid.uuid4().hex[:10]}"  # its own scope: no other test's processes
    (tmp_path / "services.yaml").write_text(
        f'version: "1.0"\nname: {name}\nservices:\n  api:\n    type: process\n'
        '    command: "exec sleep 120"\n  web:\n    type: process\n'
        '    command: "exec sleep 120"\n    depends_on: [api]\n')
    return tmp_path


def test_validate_imports_no_heavy_library(project: Path) -> None:
    code, err = run(project, "validate")
    assert code == 0, err
    assert err.splitlines()[-1] == "[]", err


def test_local_process_plan_apply_destroy_import_no_heavy_library(project: Path) -> None:
    graph = "['networkx']"  # a plan with changes orders them in a networkx DAG
    try:
        for argv, imported in ((("plan",), graph), (("apply", "--auto-approve"), graph),
                               (("plan", "--detailed-exitcode"), "[]"),
                               (("apply", "--auto-approve"), "[]"),  # no-op: no graph
                               (("destroy", "--auto-approve"), graph)):
            heavy = HEAVY + (STDLIB if imported == "[]" else ("zoneinfo",))
            code, err = run(project, *argv, heavy=heavy)
            assert code == 0, (argv, err)
            assert err.splitlines()[-1] == imported, (argv, err)
    finally:
        run(project, "destroy", "--auto-approve")  # by the pids the state recorded
