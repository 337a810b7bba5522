"""Generating the JSON Schemas of the config formats from their pydantic models.

``generate()`` is what ``scripts/gen_schemas.py`` writes to ``schemas/`` and what the drift
test compares the checked-in files with. Imports pydantic: never on the validate path.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate() -> dict[str, dict[str, Any]]:
    """File name in schemas/ -> JSON Schema document."""
    from reconciler.config.schema_locald import LocaldFile
    from reconciler.config.schema_services import ServicesFile

    out: dict[str, dict[str, Any]] = {}
    for name, model in (("services.schema.json", ServicesFile),
                        ("locald.schema.json", LocaldFile)):
        schema = model.model_json_schema(mode="validation")
        out[name] = {"$schema": SCHEMA_DIALECT, **schema}
    return out


def dumps(schema: dict[str, Any]) -> str:
    """The exact text a schema file holds."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
