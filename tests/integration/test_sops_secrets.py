"""SOPS + age encrypted secrets with the real ``sops`` binary and age keys made by the test.

A process gets ``DB_PASSWORD`` from ``secrets.enc.yaml#db.password`` and ``API_TOKEN`` from an
encrypted dotenv ``env_file``; it writes what it sees to a file only the test reads. Every CLI
output, every file under ``.reconciler/`` (the state included) never holds the clear values;
a rotated value plans as exactly that env change of that service (and the restart of its
dependent); a wrong key, a missing key path, a file that is not encrypted and a tampered file
are refused with the file and key path named, nothing applied; ``validate`` checks references
without any key; ``secrets init`` / ``show-refs`` work.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope
from infra.components import require

from reconciler.engine.sops import sops_binary

PASSWORD = "pw-Clear-7f3a91"
ROTATED = "pw-Rotated-2c88e4"
TOKEN = "tok-Clear-55d1e0"

SERVICES = """\
name: vault
services:
  db:
    command: sh -c 'printf "%s|%s" "$DB_PASSWORD" "$API_TOKEN" > "$OUT"; exec sleep 600'
    env:
      OUT: "@OUT@"
      DB_PASSWORD: {sops: secrets.enc.yaml#db.password}
    env_file: app.enc.env
  web:
    command: sleep 600
    env:
      DB_URL: "postgres://app:${db.env.DB_PASSWORD}@127.0.0.1:5432/app"
    depends_on: {db: {condition: service_started}}
"""


def _keygen(path: Path) -> str:
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True, timeout=30)
    return next(line.split()[-1] for line in path.read_text().splitlines()
                if line.startswith("# public key:"))


def _sops(key: Path, *args: str, cwd: Path) -> None:
    binary = sops_binary()
    assert binary is not None
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(key)}
    subprocess.run([binary, *args], cwd=cwd, env=env, check=True, capture_output=True,
                   timeout=60)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[tuple[Cli, Path, Path]]:
    require("sops")
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "age.txt"
    recipient = _keygen(key)
    project = tmp_path / "vault"
    project.mkdir()
    out = tmp_path / "seen.txt"
    (project / "services.yaml").write_text(SERVICES.replace("@OUT@", str(out)))
    (project / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.enc\\.[^/]+$\n    age: {recipient}\n")
    (project / "secrets.enc.yaml").write_text(f"db:\n  password: {PASSWORD}\n  user: app\n")
    (project / "app.enc.env").write_text(f"API_TOKEN={TOKEN}\n")
    for name in ("secrets.enc.yaml", "app.enc.env"):
        _sops(key, "--encrypt", "--in-place", name, cwd=project)
    cli = Cli(project, f"t{os.getpid()}v")
    yield cli, project, key
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"vault_{cli.session}")


def _no_clear(project: Path, outputs: list[str], *values: str) -> None:
    for text in outputs:
        for value in values:
            assert value not in text
    for path in (project / ".reconciler").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for value in values:
                assert value.encode() not in data, path


def test_apply_gives_the_process_the_clear_value_and_nothing_else_sees_it(
        vault: tuple[Cli, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cli, project, key = vault
    outputs = [cli("validate").stdout]  # no key: references are checked by key name only
    applied = cli("apply", "--auto-approve", "--age-key-file", str(key))
    outputs += [applied.stdout + applied.stderr]
    seen = project.parent / "seen.txt"
    assert seen.read_text() == f"{PASSWORD}|{TOKEN}"
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(key))  # the sops way, for the reading verbs
    for args in (("plan", "--age-key-file", str(key)), ("status",), ("show",),
                 ("state", "show", "process.db"), ("plan", "--json"), ("state", "list"),
                 ("history",), ("logs", "db"), ("secrets", "show-refs")):
        done = cli(*args)
        outputs.append(done.stdout + done.stderr)
    assert "No changes" in outputs[2]
    assert "secrets.enc.yaml" in outputs[-1] and "db.password" in outputs[-1]
    _no_clear(project, outputs, PASSWORD, TOKEN)

    # rotate: the plan shows that env value of db changing and web (which reads it through
    # ${db.env.DB_PASSWORD}) replaced with it, nothing else; apply goes db first, then web
    _sops(key, "set", "secrets.enc.yaml", '["db"]["password"]', f'"{ROTATED}"', cwd=project)
    plan = cli("plan", "--detailed-exitcode", expect=2).stdout
    changed = [line.strip() for line in plan.splitlines() if line.strip().startswith(("~", "-/+"))]
    assert changed == [
        "-/+ process.db", "~ env.DB_PASSWORD: (sensitive value) -> (sensitive value)   # forces "
        "replacement", "-/+ process.web", "~ env.DB_URL: (sensitive value) -> (sensitive value)"
        "   # forces replacement"], plan
    assert "0 to add, 0 to change, 2 to replace, 0 to destroy" in plan
    _no_clear(project, [plan], PASSWORD, ROTATED, TOKEN)
    applied = cli("apply", "--auto-approve")
    assert applied.stdout.index("process.db: Replacing") < applied.stdout.index(
        "process.web: Replacing")
    assert seen.read_text() == f"{ROTATED}|{TOKEN}"
    _no_clear(project, [applied.stdout + applied.stderr], PASSWORD, ROTATED, TOKEN)
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    destroyed = cli("destroy", "--auto-approve")  # a destroy needs no key
    assert "2 destroyed" in destroyed.stdout


def test_a_wrong_key_is_refused_naming_file_and_key_path(
        vault: tuple[Cli, Path, Path], tmp_path: Path) -> None:
    cli, project, _key = vault
    other = tmp_path / "keys" / "other.txt"
    _keygen(other)
    done = cli("apply", "--auto-approve", "--age-key-file", str(other), expect=1)
    text = done.stdout + done.stderr
    assert "secrets.enc.yaml#db.password" in text and "wrong key" in text
    assert "services.yaml:" in text and PASSWORD not in text
    assert not (project.parent / "seen.txt").exists()


def test_validate_refuses_missing_key_paths_clear_files_and_clear_secrets(
        vault: tuple[Cli, Path, Path]) -> None:
    cli, project, key = vault
    services = project / "services.yaml"
    good = services.read_text()
    services.write_text(good.replace("db.password", "db.passwd"))
    done = cli("validate", expect=1)
    assert "key path 'db.passwd' not found" in done.stdout + done.stderr
    assert "services.yaml:7:" in done.stdout + done.stderr
    assert "db.password, db.user" in done.stdout + done.stderr  # the hint: names, no values

    services.write_text(good)
    (project / "app.enc.env").write_text(f"API_TOKEN={TOKEN}\n")
    done = cli("validate", expect=1)
    assert "is not encrypted" in done.stdout + done.stderr and TOKEN not in done.stdout

    _sops(key, "--encrypt", "--in-place", "app.enc.env", cwd=project)
    services.write_text(good + "  clear:\n    command: sleep 1\n"
                        "    env: {TOKEN: {secret: plain-text-secret}}\n")
    cli("validate")
    (project / "policy.yaml").write_text("version: 1\nsecrets: {require_encrypted: true}\n")
    done = cli("validate", expect=1)
    assert "clear secret in env 'TOKEN' of 'clear'" in done.stdout + done.stderr


def test_a_tampered_file_is_refused_and_nothing_applied(vault: tuple[Cli, Path, Path]) -> None:
    cli, project, key = vault
    enc = project / "secrets.enc.yaml"
    lines = enc.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if "password: ENC[AES256_GCM,data:" in line)
    head, rest = lines[at].split("data:", 1)
    lines[at] = head + "data:" + ("A" if rest[0] != "A" else "B") + rest[1:]
    enc.write_text("\n".join(lines) + "\n")
    done = cli("apply", "--auto-approve", "--age-key-file", str(key), expect=1)
    text = done.stdout + done.stderr
    assert "secrets.enc.yaml" in text and "db.password" in text and "corrupted" in text
    assert not (project.parent / "seen.txt").exists()


def test_secrets_init_makes_a_key_outside_the_repository_and_a_creation_rule(
        tmp_path: Path) -> None:
    require("sops")
    project = tmp_path / "fresh"
    project.mkdir()
    (project / "services.yaml").write_text("services:\n  a:\n    command: sleep 1\n")
    key = tmp_path / "home" / "keys.txt"
    cli = Cli(project, f"t{os.getpid()}i")
    done = cli("secrets", "init", "--key-file", str(key))
    assert key.is_file() and "AGE-SECRET-KEY-" in key.read_text()
    rule = (project / ".sops.yaml").read_text()
    recipient = next(line.split()[-1] for line in key.read_text().splitlines()
                     if line.startswith("# public key:"))
    assert recipient in rule and r"\.enc\." in rule and recipient in done.stdout
    assert "AGE-SECRET-KEY-" not in done.stdout + done.stderr
    (project / "new.enc.yaml").write_text("a: b\n")
    _sops(key, "--encrypt", "--in-place", "new.enc.yaml", cwd=project)  # the rule applies
    assert "sops:" in (project / "new.enc.yaml").read_text()
    cli("secrets", "init", "--key-file", str(key), expect=1)  # never overwrites a key


def test_the_hook_checks_staged_references_and_refuses_clear_secrets_under_the_policy(
        vault: tuple[Cli, Path, Path]) -> None:
    require("git")
    cli, project, _key = vault

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
                       cwd=project, check=True, capture_output=True, timeout=30)

    git("init", "-q")
    git("add", "services.yaml", "secrets.enc.yaml", "app.enc.env", ".sops.yaml")
    done = cli("hook", "run")  # the staged encrypted files are read (key names only)
    assert "error" not in done.stdout + done.stderr

    services = project / "services.yaml"
    services.write_text(services.read_text().replace("db.password", "db.nope"))
    git("add", "services.yaml")
    done = cli("hook", "run", expect=1)
    assert "key path 'db.nope' not found" in done.stderr and "services.yaml:7:" in done.stderr

    services.write_text(services.read_text().replace("db.nope", "db.password")
                        + "  clear:\n    command: sleep 1\n"
                          "    env: {TOKEN: {secret: plain-text-secret}}\n")
    (project / "policy.yaml").write_text("version: 1\nsecrets: {require_encrypted: true}\n")
    git("add", "services.yaml", "policy.yaml")
    done = cli("hook", "run", expect=1)
    assert "clear secret in env 'TOKEN' of 'clear'" in done.stderr
    assert "plain-text-secret" not in done.stdout + done.stderr
