"""CEL conditions of policy rules: compile with file positions, evaluate to a boolean.

Uses the ``common-expression-language`` package (module ``cel``, a Rust CEL implementation),
imported lazily on the first compile. A compile error becomes a diagnostic at the exact
``file:line:col`` inside the YAML value that holds the expression; so does a reference to a
variable the activation does not define. Evaluation errors raise :class:`CelEvalError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.policy_yaml import PathKey, PolicyDocument
from reconciler.errors import Diagnostic, SourceRange, error

VARIABLES = frozenset({"action", "address", "kind", "name", "host", "labels", "spec",
                       "before", "now", "changed"})
_CEL_POS = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_MACRO_VAR = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


class CelEvalError(Exception):
    """A condition could not be evaluated (missing field, type mismatch, not a bool)."""


@dataclass(frozen=True, slots=True)
class CelCheck:
    """A compiled CEL condition and where it was written."""

    expression: str
    source: SourceRange
    program: Any = field(compare=False, repr=False)

    def evaluate(self, activation: dict[str, object]) -> bool:
        try:
            result = self.program.execute(activation)
        except Exception as exc:  # the binding raises KeyError, TypeError, ValueError...
            raise CelEvalError(_one_line(exc)) from exc
        if not isinstance(result, bool):
            raise CelEvalError(f"condition returned {type(result).__name__}, not a bool")
        return result


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().strip("'\"") or type(exc).__name__
    if isinstance(exc, KeyError):
        return f"no such key: {text}"
    return text.splitlines()[0]


def position_in_value(doc: PolicyDocument, path: PathKey, line: int, col: int) -> SourceRange:
    """Map a 1-based ``line``:``col`` inside the string at ``path`` to a file position."""
    start = doc.where_value(*path)
    style = doc.styles.get(tuple(path), "plain")
    if style == "|":
        src_line = start.line + line
        content = doc.line_text(src_line)
        indent = len(content) - len(content.lstrip(" "))
        return SourceRange(doc.file, src_line, indent + col)
    if style == ">":
        offset = col - 1
        src_line = start.line + 1
        while True:
            content = doc.line_text(src_line)
            stripped = content.strip()
            if not content or offset <= len(stripped):
                indent = len(content) - len(content.lstrip(" "))
                return SourceRange(doc.file, src_line, indent + offset + 1)
            offset -= len(stripped) + 1
            src_line += 1
    if line != 1:
        return start
    quote = 1 if style in ("'", '"') else 0
    return SourceRange(doc.file, start.line, start.column + quote + col - 1)


def _unknown_variables(program: Any, expression: str) -> list[str]:
    bound = set(_MACRO_VAR.findall(expression))
    try:
        names = list(program.variables())
    except Exception:  # an older binding without static analysis: skip the check
        return []
    return [n for n in names if n not in VARIABLES and n not in bound]


def compile_condition(doc: PolicyDocument, path: PathKey, expression: str,
                      rule_id: str) -> tuple[CelCheck | None, list[Diagnostic]]:
    """Compile ``expression`` (the value at ``path`` of ``doc``) for rule ``rule_id``."""
    import cel

    start = doc.where_value(*path)
    try:
        program = cel.compile(expression)
    except Exception as exc:
        text = str(exc)
        found = _CEL_POS.search(text)
        if found is None:
            return None, [error(f"invalid CEL expression in rule {rule_id!r}", start,
                                detail=text.splitlines()[0] if text else "",
                                hint="see docs/policy.md for the CEL variables and syntax")]
        line, col = int(found.group(1)), int(found.group(2))
        caret = "\n  ".join(text[found.end():].strip("\n").splitlines())
        return None, [error(f"invalid CEL expression in rule {rule_id!r}: {found.group(3)}",
                            position_in_value(doc, path, line, col), detail=caret,
                            hint="CEL strings use double or single quotes; "
                                 "`&&`, `||` and `!` are the boolean operators")]
    unknown = _unknown_variables(program, expression)
    if unknown:
        found_at = re.search(rf"\b{re.escape(unknown[0])}\b", expression)
        index = found_at.start() if found_at else 0
        line = expression.count("\n", 0, index) + 1
        line_col = index - (expression.rfind("\n", 0, index) + 1) + 1
        return None, [error(f"unknown variable {unknown[0]!r} in the condition of rule "
                            f"{rule_id!r}", position_in_value(doc, path, line, line_col),
                            hint="variables: " + ", ".join(sorted(VARIABLES)))]
    return CelCheck(expression, start, program), []
