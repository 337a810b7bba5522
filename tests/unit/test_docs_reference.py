"""docs/configuration.md names every key of every generated schema: the reference cannot
silently fall behind the models (add the key to the docs when this fails)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ["services.schema.json", "locald.schema.json"]


def keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in (node.get("properties") or {}).items():
            yield name
            yield from keys(value)
        for value in node.values():
            if isinstance(value, dict | list):
                yield from keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from keys(item)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_schema_key_is_documented(schema: str) -> None:
    document = json.loads((ROOT / "schemas" / schema).read_text())
    text = (ROOT / "docs" / "configuration.md").read_text()
    # where keys are documented: inline code spans and the rows of the reference tables
    places = " ".join(re.findall(r"`([^`]+)`", text)
                      + [line for line in text.splitlines() if line.startswith("|")])
    missing = sorted({k for k in keys(document) if not re.search(rf"\b{k}\b", places)})
    assert missing == [], f"keys missing from docs/configuration.md: {missing}"
