"""SOPS references in model.build (a FakeHost answers for the encrypted files), their listing,
the require_encrypted policy check, and how the real adapter reads key names and maps sops'
failures, all without the sops binary."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing import FakeHost

from reconciler.config import parse_file
from reconciler.config.raw import RawDocument
from reconciler.engine.sops import SopsFiles, _problem
from reconciler.model.build import build
from reconciler.model.secrets import marker
from reconciler.model.sops_refs import (
    SopsProblem,
    SopsRef,
    clear_secret_problems,
    parse_ref,
    references,
)
from reconciler.model.types import Address

SERVICES = """\
services:
  api:
    command: ./api
    env:
      DB_PASSWORD: {sops: conf/secrets.enc.yaml#db.password}
      API_TOKEN: own
    env_file: app.enc.env
  web:
    command: ./web
    env:
      URL: "postgres://app:${api.env.DB_PASSWORD}@127.0.0.1/app"
"""


def _doc(tmp: Path, text: str, name: str = "services.yaml", fmt: str = "services"
         ) -> RawDocument:
    doc, problems = parse_file(tmp / name, text, fmt)
    assert doc is not None and not problems
    return doc


def test_parse_ref() -> None:
    assert parse_ref("a/s.enc.yaml#db.password") == SopsRef("a/s.enc.yaml", "db.password")
    for bad in ("s.enc.yaml", "s#", "#k", "s#a..b", "a#b#c", 3):
        assert parse_ref(bad) is None


def test_values_are_secrets_held_in_memory_and_hashed_in_the_spec(tmp_path: Path) -> None:
    host = FakeHost(sops={tmp_path / "conf/secrets.enc.yaml": {"db.password": "pw-$HOME"},
                          tmp_path / "app.enc.env": {"API_TOKEN": "tok", "EXTRA": "x"}})
    desired, problems = build([_doc(tmp_path, SERVICES)], env={}, host=host)
    assert [p for p in problems if p.severity == "error"] == []
    api = desired.resources[Address("process", "api")]
    assert api.secrets == {"env.DB_PASSWORD": "pw-$HOME", "env.API_TOKEN": "own",
                           "env.EXTRA": "x"}  # never interpolated; the own env wins
    assert api.spec["env"]["DB_PASSWORD"] == marker("pw-$HOME")
    web = desired.resources[Address("process", "web")]
    assert web.secrets["env.URL"] == "postgres://app:pw-$HOME@127.0.0.1/app"
    assert "pw-$HOME" not in repr(web.spec) + repr(api.spec)


def test_a_missing_key_path_is_an_error_at_the_reference(tmp_path: Path) -> None:
    host = FakeHost(sops={tmp_path / "conf/secrets.enc.yaml": {"db.user": "u"},
                          tmp_path / "app.enc.env": {}})
    _, problems = build([_doc(tmp_path, SERVICES)], env={}, host=host)
    errors = [p for p in problems if p.severity == "error"]
    assert errors and "key path 'db.password' not found" in errors[0].summary
    assert errors[0].source is not None and errors[0].source.line == 5


def test_references_list_every_use(tmp_path: Path) -> None:
    found = references([_doc(tmp_path, SERVICES)])
    assert [(r.service, r.variable, r.file, r.key_path) for r in found] == [
        ("api", "DB_PASSWORD", tmp_path / "conf/secrets.enc.yaml", "db.password"),
        ("api", "*", tmp_path / "app.enc.env", "*")]


def test_require_encrypted_makes_clear_secrets_errors(tmp_path: Path) -> None:
    services = _doc(tmp_path, "services:\n  a:\n    command: x\n"
                              "    env: {T: {secret: clear-value}}\n")
    assert clear_secret_problems([services]) == []
    policy = _doc(tmp_path, "version: 1\nsecrets: {require_encrypted: true}\n", "policy.yaml",
                  "policy")
    problems = clear_secret_problems([services, policy])
    assert len(problems) == 1 and "clear secret in env 'T' of 'a'" in problems[0].summary
    assert "clear-value" not in problems[0].summary + problems[0].hint


ENCRYPTED = """\
db:
    password: ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]
    hosts:
        - ENC[AES256_GCM,data:YmFy,iv:aXY=,tag:dGFn,type:str]
sops:
    mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
    version: 3.11.0
"""


def test_key_names_are_read_without_decrypting(tmp_path: Path) -> None:
    (tmp_path / "s.enc.yaml").write_text(ENCRYPTED)
    (tmp_path / "a.enc.env").write_text("TOKEN=ENC[AES256_GCM,data:eA==,type:str]\n"
                                        "sops_version=3.11.0\nsops_mac=ENC[x]\n")
    (tmp_path / "clear.yaml").write_text("db:\n  password: clear-value\n")
    files = SopsFiles({}, decrypt=False)
    assert files.sops_keys(tmp_path / "s.enc.yaml") == {"db.password", "db.hosts.0"}
    assert files.sops_keys(tmp_path / "a.enc.env") == {"TOKEN"}
    assert files.sops_value(tmp_path / "s.enc.yaml", "db.password").startswith("ENC[")
    with pytest.raises(SopsProblem, match="is not encrypted"):
        files.sops_keys(tmp_path / "clear.yaml")
    with pytest.raises(SopsProblem, match=r"key path 'db\.user' not found") as info:
        files.sops_value(tmp_path / "s.enc.yaml", "db.user")
    assert info.value.hint == "the file has: db.hosts.0, db.password"


@pytest.mark.parametrize(("code", "stderr", "expected"), [
    (128, "age: identity did not match any of the recipients", "wrong key"),
    (128, "failed to load age identities. Did not find keys", "no age key found"),
    (51, "Cannot decrypt MAC", "MAC mismatch"),
    (25, "Error walking tree: Could not decrypt value", "corrupted"),
    (1, "sops metadata not found", "is not encrypted"),
])
def test_sops_failures_map_to_problems_naming_the_file(code: int, stderr: str,
                                                       expected: str) -> None:
    problem = _problem(Path("/p/s.enc.yaml"), code, stderr)
    assert expected in str(problem) and "/p/s.enc.yaml" in str(problem)
