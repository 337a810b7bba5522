"""render.json + render.plan_schema: the versioned JSON plan and its published schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from syrupy.assertion import SnapshotAssertion

from reconciler.engine.plan import Plan
from reconciler.render.json import plan_document
from reconciler.render.plan_schema import PlanDocument, generate_schema, schema_text, write_schema

from .conftest import CLEAR_SECRETS, build_realistic_plan

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json"


def test_document_snapshot(plan: Plan, snapshot: SnapshotAssertion) -> None:
    assert json.dumps(plan_document(plan), indent=2) == snapshot


def test_document_is_valid_against_the_checked_in_schema(plan: Plan) -> None:
    document = plan_document(plan)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)
    assert PlanDocument.model_validate(document).format_version == "1"


def test_document_fields(plan: Plan) -> None:
    document = plan_document(plan)
    assert document["format_version"] == "1"
    assert document["summary"] == {"create": 1, "update": 1, "replace": 1, "delete": 1}
    assert document["order"] == ["process.legacy", "process.api", "process.worker",
                                 "process.web"]
    by_address = {c["address"]: c for c in document["changes"]}
    assert by_address["task.setup"]["action"] == "no-op"
    api = by_address["process.api"]
    assert (api["kind"], api["name"], api["host"], api["action"]) == \
        ("process", "api", "local", "replace")
    assert api["source"] == "services.yaml:22:3"
    assert api["depends_on"] == ["task.setup"]
    assert api["reasons"] == [{"code": "spec_changed", "message": "spec changed"}]
    assert api["field_diffs"][0] == {"path": "env.API_TOKEN", "before": "(sensitive value)",
                                     "after": "(sensitive value)", "forces_replace": True}
    assert by_address["process.legacy"]["after"] is None
    assert by_address["process.legacy"]["depends_on"] == ["process.api"]


def test_no_secret_in_json(plan: Plan) -> None:
    text = json.dumps(plan_document(plan))
    assert not any(secret in text for secret in CLEAR_SECRETS)
    assert "(sensitive:" not in text


def test_checked_in_schema_matches_the_model() -> None:
    assert SCHEMA.read_text() == schema_text(), \
        "schemas/plan.schema.json is stale: run python -m reconciler.render.plan_schema"


def test_write_schema(tmp_path: Path) -> None:
    written = write_schema(tmp_path / "out" / "plan.schema.json")
    assert json.loads(written.read_text()) == generate_schema()


def test_schema_rejects_unknown_action(plan: Plan) -> None:
    document = plan_document(plan)
    document["changes"][0]["action"] = "explode"
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert any("explode" in e.message for e in validator.iter_errors(document))


def test_deterministic() -> None:
    first = json.dumps(plan_document(build_realistic_plan()))
    assert json.dumps(plan_document(build_realistic_plan())) == first
