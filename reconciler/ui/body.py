"""What the dashboard accepts from a request: a JSON object body of bounded size, and numbers
in the query string. Anything else is a :class:`BadRequest` with the HTTP status and the
message the client gets as JSON (4xx, never a traceback).

A body is read in chunks and refused with 413 as soon as it passes :data:`MAX_BODY` (a
``Content-Length`` that says so is refused before reading anything), so a huge upload costs
nothing. Nesting is bounded before parsing (json's recursion would otherwise fail deep inside
the decoder).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

MAX_BODY = 1024 * 1024  # bytes
MAX_DEPTH = 64  # nesting of JSON arrays/objects


class BadRequest(Exception):
    """A request the dashboard refuses: ``status`` (4xx) and a message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def read_limited(headers: Mapping[str, str], chunks: AsyncIterator[bytes],
                       limit: int = MAX_BODY) -> bytes:
    """The body, read chunk by chunk; 413 as soon as it is larger than ``limit``."""
    declared = headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise BadRequest(413, f"the body is larger than {limit} bytes")
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise BadRequest(413, f"the body is larger than {limit} bytes")
    return bytes(data)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests brackets deeper than ``limit`` (strings are skipped)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` parsed as a JSON object; 400 for anything else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "the body must be UTF-8 JSON") from None
    if too_deep(text):
        raise BadRequest(400, f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest(400, "the body must be JSON") from None
    if not isinstance(value, dict):
        raise BadRequest(400, "the body must be a JSON object, e.g. "
                              '{"action": "apply", "inputs_hash": "..."}')
    return value


def text_field(body: Mapping[str, Any], key: str) -> str:
    """``body[key]`` as a string ('' when absent); 400 when it is not a string."""
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(400, f"'{key}' must be a string")
    return value


def int_param(query: Mapping[str, str], key: str, default: int, *, low: int,
              high: int) -> int:
    """The query parameter ``key`` as an integer in [low, high] (``default`` when absent)."""
    text = query.get(key, "")
    if not text:
        return default
    if not text.strip().isdigit() or len(text) > 9:
        raise BadRequest(400, f"?{key}= takes a whole number from {low} to {high}")
    return max(low, min(int(text), high))
