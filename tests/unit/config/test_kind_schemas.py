"""The services schema and the per-type key rules are generated from the kind registry: a
kind that names a schema model adds its ``type:`` (both shapes), and nothing else does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from testing import FakeActuator

from reconciler.actuators import registry
from reconciler.actuators.schema import generate, rules, rules_text, target_models, type_name
from reconciler.config import kind_rules
from reconciler.validate.unions import merged

FLAT = {"services": {"f": {"type": "fake", "size": 3, "port": 8000}}}
NESTED = {"services": {"f": {"target": {"type": "fake", "size": 3}}}}


@pytest.fixture(name="fake_schema_kind")
def fake_schema_kind_fixture() -> Iterator[registry.Kind]:
    declared = registry.register("fake", FakeActuator(),
                                 schemas=("testing.fake_schema:FakeTarget",))
    try:
        yield declared
    finally:
        registry.unregister("fake")


def _accepts(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    return bool(Draft202012Validator(schema).is_valid(document)) and bool(
        Draft202012Validator(merged(schema)).is_valid(document))


def test_a_registered_kind_with_a_schema_model_adds_its_type(
        fake_schema_kind: registry.Kind) -> None:
    schema = generate()["services.schema.json"]
    assert _accepts(FLAT, schema) and _accepts(NESTED, schema)
    assert not _accepts({"services": {"f": {"type": "fake", "sise": 3}}}, schema)
    assert rules()["TARGET_KEYS"]["fake"] == ["port", "size"]
    assert rules()["TARGET_REQUIRED"]["fake"] == [["size"]]
    assert "fake" not in rules()["TASK_TYPES"]


def test_without_the_kind_its_type_is_refused() -> None:
    schema = generate()["services.schema.json"]
    assert not _accepts(FLAT, schema) and not _accepts(NESTED, schema)
    assert "size" not in str(schema)


def test_the_checked_in_rules_are_the_models_rules() -> None:
    """config/kind_rules.py is generated (scripts/gen_schemas.py): no hand edit, no drift."""
    assert Path(kind_rules.__file__).read_text() == rules_text()
    data = rules()
    assert {k: frozenset(v) for k, v in data["TARGET_KEYS"].items()} == kind_rules.TARGET_KEYS
    assert {k: tuple(map(tuple, v)) for k, v in data["TARGET_REQUIRED"].items()} == (
        kind_rules.TARGET_REQUIRED)
    assert frozenset(data["TASK_TYPES"]) == kind_rules.TASK_TYPES


def test_every_service_type_belongs_to_one_kind() -> None:
    names = [type_name(m) for m in target_models()]
    assert names == ["process", "remote", "docker", "compose", "package", "file", "image"]


def test_the_validator_checks_the_union_as_one_object() -> None:
    """Editors get oneOf over the types; the validator one object with every type's keys
    (the per-type rules then say which key applies to which type)."""
    schema = generate()["services.schema.json"]
    assert "oneOf" in schema["properties"]["services"]["additionalProperties"]
    service = merged(schema)["properties"]["services"]["additionalProperties"]
    assert "oneOf" not in service and service["additionalProperties"] is False
    assert service["properties"]["type"]["anyOf"][0]["enum"] == [
        "process", "remote", "docker", "compose", "package", "file", "image"]
    assert {"image", "binary", "path", "files", "package", "depends_on"} <= set(
        service["properties"])
    target = service["properties"]["target"]["anyOf"][0]
    assert target["required"] == ["type"] and "image" in target["properties"]
    assert Draft202012Validator(merged(schema)).is_valid(
        {"services": {"a": {"type": "process", "image": "x"}}})  # checks.py reports it
