"""The checked-in JSON Schema, the example policy, the parser and import laziness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from policy_helpers import container, decide, process

from reconciler.config.policy_yaml import parse_policy_text
from reconciler.model.changes import Action
from reconciler.policy.evaluation import load_policies
from reconciler.policy.schema import render_policy_schema

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "schemas" / "policy.schema.json"
EXAMPLE = ROOT / "examples" / "policy" / "policy.yaml"


def test_checked_in_schema_matches_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_policy_schema(), (
        "schemas/policy.schema.json is stale: run python -m reconciler.policy.schema")


def test_schema_accepts_the_example_and_rejects_unknown_keys() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    doc, diagnostics = parse_policy_text(EXAMPLE, EXAMPLE.read_text(encoding="utf-8"))
    assert doc is not None and diagnostics == []
    jsonschema.validate(doc.data, schema)
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate({**doc.data, "rulez": []}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "rules": [{"id": "x", "decision": "nope",
                                                      "message": "m"}]}, schema)


def test_example_policy_loads_and_decides() -> None:
    policy, diagnostics = load_policies([(EXAMPLE, "project")])
    assert diagnostics == []
    assert [r["id"] for r in policy.describe()] == [
        "no-privileged-containers", "approved-registry", "no-public-port-binds",
        "env-change-on-db", "protect:container.db", "allowed_hosts", "change_windows"]
    result = decide(policy, [
        container("web"),
        container("db", action=Action.DELETE),
        container("bad", image="docker.io/x"),
        process("api", host="web9"),
    ])
    assert [(d.address.name, d.outcome.value) for d in result.final] == [
        ("web", "allow"), ("db", "require_approval"), ("bad", "deny"), ("api", "deny")]


def test_parser_records_keys_values_and_string_styles(tmp_path: Path) -> None:
    text = "version: 1\nrules:\n  - id: a\n    when: 'x'\n    message: |\n      hi\n"
    doc, diagnostics = parse_policy_text(tmp_path / "p.yaml", text)
    assert doc is not None and diagnostics == []
    assert str(doc.where("rules", 0)).endswith("p.yaml:3:5")
    assert str(doc.where("rules", 0, "when")).endswith("p.yaml:4:5")
    assert str(doc.where_value("rules", 0, "when")).endswith("p.yaml:4:11")
    assert str(doc.where("rules", 0, "nothing", 3)).endswith("p.yaml:3:5")
    assert doc.styles[("rules", 0, "when")] == "'"
    assert doc.styles[("rules", 0, "message")] == "|"
    assert doc.data == {"version": 1, "rules": [{"id": "a", "when": "x", "message": "hi\n"}]}
    assert doc.format == "policy" and doc.file == str(tmp_path / "p.yaml")


def test_parser_refuses_alias_bombs(tmp_path: Path) -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 7)]
    doc, diagnostics = parse_policy_text(tmp_path / "p.yaml", "\n".join(lines) + "\n")
    assert doc is None
    assert diagnostics[0].summary == "YAML document is too large, too deep or recursive"


def test_empty_file_is_an_empty_document(tmp_path: Path) -> None:
    doc, diagnostics = parse_policy_text(tmp_path / "p.yaml", "# nothing yet\n")
    assert doc is not None and doc.data == {} and diagnostics == []


def test_importing_policy_stays_light() -> None:
    code = ("import sys, reconciler.policy.evaluation; "
            "print(sorted(m for m in ('pydantic', 'cel', 'ruamel', 'jsonschema') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_example_layers_load_together() -> None:
    folder = EXAMPLE.parent
    policy, diagnostics = load_policies([(folder / "user-policy.yaml", "user"),
                                         (EXAMPLE, "project"),
                                         (folder / "session-override.yaml", "session")])
    assert diagnostics == []
    assert [layer for layer, _ in policy.sources] == ["user", "project", "session"]
    staging = container("web", image="docker.io/x", labels={"env": "staging"})
    result = decide(policy, [staging, container("old", action=Action.DELETE),
                             process("api", host="web1")])
    assert [(d.address.name, d.outcome.value, d.rule_id) for d in result.final] == [
        ("web", "deny", "approved-registry"),  # the session's allow does not lift the deny
        ("old", "warn", "warn-on-deletes"),
        ("api", "deny", "no-remote-changes-in-this-session")]
