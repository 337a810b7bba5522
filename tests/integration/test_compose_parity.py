"""`reconciler validate` and `docker compose config -q` (v2) agree on every Compose file of the
suite and on the broken shapes Compose refuses: both accept, or both refuse.

Each case is a project directory holding the files; Compose gets them with `-f` in order.
validate runs twice: once with no Compose CLI on its PATH (the pure checks alone must agree
with Compose) and once as installed (with its extra `compose config -q` check). Before the
type checks, the broken shapes validated (or crashed with a traceback) while Compose refused
them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from infra.components import require
from test_chain_cli import COMPOSE as CHAIN_COMPOSE
from test_compose_actuator import WEB, WORKER

TESTS = Path(__file__).resolve().parents[1]
IMAGE = "busybox:1"
Case = dict[str, str]  # file name -> text; the files go to Compose in this order


def suite_fixtures() -> list[tuple[str, Case]]:
    """Every Compose file checked into tests/, plus the suite's inline Compose texts."""
    found = [(str(path.relative_to(TESTS)), {"compose.yaml": path.read_text()})
             for path in sorted(TESTS.rglob("*compose*.y*ml"))
             if "__snapshots__" not in path.parts]
    found.append(("test_compose_actuator", {"compose.yaml": "services:\n" + WEB.format(
        image=IMAGE) + WORKER.format(image=IMAGE, mode="a")}))
    found.append(("test_chain_cli", {"compose.yaml": CHAIN_COMPOSE.format(image=IMAGE)}))
    return found


def broken(line: str) -> Case:
    return {"compose.yaml": f"services:\n  web:\n    image: {IMAGE}\n    {line}\n"}


BROKEN: list[tuple[str, Case]] = [
    ("depends_on string", broken("depends_on: cond_started")),
    ("ports int", broken("ports: 80")),
    ("environment int", broken("environment: 5")),
    ("healthcheck yes", broken("healthcheck: yes")),
    ("missing env_file", broken("env_file: missing.env")),
    ("empty volume source", broken('volumes: ["${UPLOAD_LOCATION_UNSET}:/data"]')),
    ("empty int", broken('healthcheck: {test: [CMD, "true"], retries: "${RETRIES_UNSET}"}')),
    ("condition missing", broken("depends_on: {web: {}}")),
    ("unknown key", broken("comand: [x]")),
    ("image int", {"compose.yaml": "services:\n  web:\n    image: 5\n"}),
    ("command int", broken("command: 5")),
    ("dependency outside the profiles", {"compose.yaml": "services:\n  web:\n    image: "
                                         f"{IMAGE}\n    depends_on: [db]\n  db: {{image: "
                                         f"{IMAGE}, profiles: [jobs]}}\n"}),
    ("override alone", {"compose.override.yaml": "services:\n  web:\n    ports: ['80']\n"}),
]
# fixtures are valid; fuzz seeds and crashers are whatever Compose says of them (we agree)
CASES: list[tuple[str, Case, bool | None]] = [
    (name, case, None if "fuzz_corpus" in name else True)
    for name, case in suite_fixtures()] + [
    (name, case, False) for name, case in BROKEN]


def environment(tmp_path: Path, *, with_cli: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RECONCILER_", "UPLOAD_LOCATION", "RETRIES"))}
    env.update(NO_COLOR="1", XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    if not with_cli:
        empty = tmp_path / "empty-bin"
        empty.mkdir(exist_ok=True)
        env["PATH"] = str(empty)
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)


@pytest.mark.parametrize(("name", "case", "valid"), CASES, ids=[c[0] for c in CASES])
def test_validate_agrees_with_compose_config(tmp_path: Path, name: str, case: Case,
                                             valid: bool | None) -> None:
    require("compose-v2")
    project = tmp_path / "project"
    project.mkdir()
    for file, text in case.items():
        (project / file).write_text(text)
    files = [a for file in case for a in ("-f", file)]
    compose = run(["docker", "compose", "-p", "parity", *files, "config", "-q"], project,
                  environment(tmp_path, with_cli=True))
    if valid is None:
        valid = compose.returncode == 0
    assert (compose.returncode == 0) is valid, f"{name}: compose says {compose.stderr}"
    for with_cli in (False, True):
        done = run([sys.executable, "-m", "reconciler", "-C", str(project), "validate"],
                   project, environment(tmp_path, with_cli=with_cli))
        assert "Traceback" not in done.stderr
        assert done.returncode == (0 if valid else 1), (
            f"{name} (Compose CLI {'on' if with_cli else 'not on'} PATH): validate exit "
            f"{done.returncode}, compose exit {compose.returncode}\n{done.stdout}{done.stderr}"
            f"\ncompose: {compose.stderr}")
        if not valid:
            assert "error:" in done.stderr and "hint:" in done.stderr
