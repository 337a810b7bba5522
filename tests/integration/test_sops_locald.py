"""``{sops = "FILE#key.path"}`` env values in locald.toml, with the real ``sops`` and an age key
made by the test: validate checks the key path without a key (and names locald.toml:line:col
when it is missing), show-refs lists the reference, apply gives the process the clear value
and prints only ``(sensitive value)``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.agekeys import keygen, sops
from infra.cli import Cli, kill_scope
from infra.components import require

PASSWORD = "pw-Locald-3e7a50"
LOCALD = """\
[project]
name = "{scope}"

[services.api]
type = "worker"
command = "printf '%s' \\"$DB_PASSWORD\\" > {out}; exec sleep 600"
env = {{ DB_PASSWORD = {{ sops = "secrets.enc.yaml#db.password" }}, MODE = "x" }}
"""


@pytest.fixture
def locald(tmp_path: Path) -> Iterator[tuple[Cli, Path, Path]]:
    require("sops")
    scope = f"sl{uuid.uuid4().hex[:8]}"
    key = tmp_path / "age.txt"
    recipient = keygen(key)
    project = tmp_path / "app"
    project.mkdir()
    (project / "locald.toml").write_text(LOCALD.format(scope=scope, out=tmp_path / "seen.txt"))
    (project / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    (project / "secrets.enc.yaml").write_text(f"db:\n  password: {PASSWORD}\n")
    sops(key, "--encrypt", "--in-place", "secrets.enc.yaml", cwd=project)
    cli = Cli(project, f"t{os.getpid()}l")
    yield cli, project, key
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"{scope}_{cli.session}")  # the session's scope: what the processes carry


def test_locald_toml_env_takes_a_sops_reference(locald: tuple[Cli, Path, Path],
                                                 tmp_path: Path) -> None:
    cli, project, key = locald
    cli("validate")
    refs = cli("secrets", "show-refs").stdout
    assert "api: env.DB_PASSWORD <- secrets.enc.yaml#db.password" in refs
    assert "locald.toml:7:" in refs
    applied = cli("apply", "--auto-approve", "--age-key-file", str(key))
    assert "+ env.DB_PASSWORD: (sensitive value)" in applied.stdout
    assert PASSWORD not in applied.stdout + applied.stderr
    assert (tmp_path / "seen.txt").read_text() == PASSWORD

    toml = project / "locald.toml"
    toml.write_text(toml.read_text().replace("db.password", "db.passwd"))
    done = cli("validate", expect=1)
    text = done.stdout + done.stderr
    assert "locald.toml:7:" in text and "key path 'db.passwd' not found" in text
    assert "the file has: db.password" in text
