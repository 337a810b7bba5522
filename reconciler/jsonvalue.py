"""JSON values as types: what configs parse to, specs and state records hold, and the
machine-readable outputs print.

The one shared definition, below every layer (it imports nothing), so a module that passes
JSON around names it instead of ``Any``. Reading a value still narrows with ``isinstance``;
writing one is checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["JSONMapping", "JSONObject", "JSONScalar", "JSONValue", "ReadOnlyJSON"]

JSONScalar = str | int | float | bool | None
JSONValue = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject = dict[str, JSONValue]
# read-only views (covariant: a list[str] is one), for parameters that only read
ReadOnlyJSON = JSONScalar | Sequence["ReadOnlyJSON"] | Mapping[str, "ReadOnlyJSON"]
JSONMapping = Mapping[str, ReadOnlyJSON]
