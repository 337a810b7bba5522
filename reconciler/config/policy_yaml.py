"""Parse ``policy.yaml`` into plain data plus the file position of every node.

This module owns only the *syntax* step for policy files: YAML text in, a
:class:`PolicyDocument` (a ``RawDocument`` of format ``policy``) out, with plain dicts, lists
and scalars, a position for every mapping key, list item and value, and the quoting style of
each string so that positions inside a CEL expression can be mapped back to the file. Syntax
errors, duplicate keys and alias bombs become diagnostics with ``file:line:col``; nothing is
raised. Validation against the policy schema and compilation of the rules live in
:mod:`reconciler.policy.evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.raw import KeyPath, RawDocument
from reconciler.config.services_yaml import (
    YamlConverter,
    YamlRecursive,
    YamlTooLarge,
    yaml_error,
)
from reconciler.errors import Diagnostic, SourceRange, error

PathKey = KeyPath
MAX_NODES = 100_000  # guards against alias expansion bombs
MAX_DEPTH = 64
QUOTING_HINT = "quote values that contain ': ' or start with a special character"


@dataclass(frozen=True)
class PolicyDocument(RawDocument):
    """One parsed policy file: a :class:`~reconciler.config.raw.RawDocument` with more.

    As in ``RawDocument``, ``positions`` maps the path of each mapping key and list item
    (``("rules", 0, "when")``; ``()`` is the root) to where it starts. ``value_positions``
    maps the same paths to where their *values* start, and ``styles`` holds the scalar style
    of string values (``plain``, ``'``, ``"``, ``|`` or ``>``) so that a position inside a CEL
    expression can be mapped back to the file.
    """

    value_positions: Mapping[PathKey, SourceRange] = field(default_factory=dict)
    styles: Mapping[PathKey, str] = field(default_factory=dict)

    def where_value(self, *path: str | int) -> SourceRange:
        """Where the value at ``path`` starts (else like :meth:`where`)."""
        found = self.value_positions.get(tuple(path))
        return found if found is not None else self.where(*path)

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) of the source, or ``""`` past the end."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def parse_policy_text(path: Path, text: str) -> tuple[PolicyDocument | None, list[Diagnostic]]:
    """Parse policy YAML ``text`` read from ``path``; never raises."""
    file = str(path)
    walker = YamlConverter(file, track_values=True, max_nodes=MAX_NODES, max_depth=MAX_DEPTH)
    try:
        data = walker.load(text)
    except (YamlTooLarge, YamlRecursive, RecursionError):
        return None, [error("YAML document is too large, too deep or recursive",
                            SourceRange(file, 1, 1),
                            hint="an alias (*name) may not refer to a node that contains it")]
    except Exception as exc:  # ruamel raises many unrelated types; all mean "bad YAML"
        return None, [yaml_error(file, exc, hint=QUOTING_HINT)]
    if data is None:
        data = {}
    return PolicyDocument(path, "policy", data, text, walker.positions,
                          walker.value_positions, walker.styles), []


def parse_policy_file(path: Path) -> tuple[PolicyDocument | None, list[Diagnostic]]:
    """Read and parse one policy file; unreadable files become a diagnostic."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [error(f"cannot read policy file: {reason}", SourceRange(str(path)),
                            hint="check the path and its permissions")]
    return parse_policy_text(path, text)
