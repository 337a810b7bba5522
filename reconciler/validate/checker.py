"""Stage 2 of the pipeline: check parsed documents against the JSON Schemas in ``schemas/``.

``check(docs)`` validates every services.yaml and locald.toml document with jsonschema against
the checked-in schema files (generated from the pydantic models; imported lazily, and pydantic
is never imported here; a union over ``type`` is checked as one merged object, see
``reconciler.validate.unions``), then applies the per-type key rules of
``reconciler.config.checks``. It reports ALL problems, each with file:line:col and a hint
where one helps (e.g. "did you mean 'binary'?"). Semantic checks that need the whole model
(dependencies, cycles, ports, references) live in ``reconciler.model.build``.

``check(docs, passed=...)`` takes the fingerprints (:func:`fingerprint`: the schema file and
the document's data) of documents known to pass the schema, skips jsonschema for them and adds
the ones that pass now: the pipeline keeps that set in the state directory, so an unchanged
config is not re-validated (and jsonschema not even imported) on every plan. Still pure: the
set is a value the caller loads and saves.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, MutableSet, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

from reconciler.config import RawDocument
from reconciler.config.checks import check_locald, check_services
from reconciler.errors import Diagnostic, InternalError, error
from reconciler.validate.unions import merged

SCHEMA_FILES = {"services": "services.schema.json", "locald": "locald.schema.json"}
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"  # package data, = top-level schemas/

_TYPE_NAMES = {"object": "mapping", "array": "list", "string": "string", "integer": "integer",
               "number": "number", "boolean": "boolean", "null": "null"}


def check(docs: Sequence[RawDocument], *, passed: MutableSet[str] | None = None,
          key: bytes = b"") -> list[Diagnostic]:
    """Every schema and per-type problem of ``docs``, in file order, without duplicates.

    ``passed``: fingerprints of documents that passed the schema before (skipped, and the
    ones that pass now are added); ``key`` keys their HMAC (:func:`fingerprint`)."""
    found: list[Diagnostic] = []
    for doc in docs:
        if doc.format in SEED_CHECKS:
            found.extend(_seed_check(doc))
        if doc.format not in SCHEMA_FILES:
            continue
        mark = fingerprint(doc, key) if passed is not None else ""
        if passed is None or mark not in passed:
            errors = [d for err in _validator(doc.format).iter_errors(doc.data)
                      for d in _translate(err, doc)]
            found.extend(errors)
            if passed is not None and not errors:
                passed.add(mark)
        if isinstance(doc.data, dict):
            found.extend(check_services(doc) if doc.format == "services" else check_locald(doc))
    unique: dict[tuple[str, str], Diagnostic] = {}
    for diagnostic in found:
        unique.setdefault((diagnostic.summary, str(diagnostic.source)), diagnostic)
    return sorted(unique.values(), key=Diagnostic.sort_key)


SEED_CHECKS = frozenset({"vendetta", "par"})


def _seed_check(doc: RawDocument) -> list[Diagnostic]:
    """The shape checks of the seed systems' files (see ``config/shape.py``)."""
    if doc.format == "vendetta":
        from reconciler.config.vendetta_yaml import check_vendetta

        return check_vendetta(doc)
    from reconciler.config.par_yaml import check_par

    return check_par(doc)


def fingerprint(doc: RawDocument, key: bytes = b"") -> str:
    """HMAC-SHA-256 (keyed by ``key``, the project's secret key: the config may hold secrets)
    of the schema file of ``doc``'s format and of its data, types included: equal
    fingerprints get equal schema verdicts."""
    digest = hmac.new(key, _schema_bytes(doc.format), hashlib.sha256)
    digest.update(doc.format.encode() + b"\0" + repr(doc.data).encode())
    return digest.hexdigest()


def fingerprints(docs: Sequence[RawDocument], key: bytes = b"") -> set[str]:
    """The fingerprints of those of ``docs`` that have a schema."""
    return {fingerprint(d, key) for d in docs if d.format in SCHEMA_FILES}


@cache
def _schema_bytes(fmt: str) -> bytes:
    path = SCHEMA_DIR / SCHEMA_FILES[fmt]
    try:
        return path.read_bytes()
    except OSError as exc:  # a broken installation, never silently papered over
        raise InternalError(f"the JSON Schema {path} is missing from this installation: {exc}",
                            hint="reinstall reconciler (the schemas ship as package data)") from exc


def load_schema(fmt: str) -> dict[str, object]:
    """The JSON Schema of ``fmt``, from the package data."""
    loaded: dict[str, object] = json.loads(_schema_bytes(fmt))
    return loaded


class SchemaError(Protocol):
    """A jsonschema ``ValidationError``, the attributes read here (jsonschema has no types)."""

    absolute_path: Sequence[str | int]
    relative_path: Sequence[str | int]
    schema_path: Sequence[str | int]
    validator: str  # the failing keyword
    validator_value: object  # that keyword's value in the schema
    instance: object
    schema: object
    message: str
    context: list[SchemaError]  # anyOf / oneOf: the branches' errors


class SchemaValidator(Protocol):
    def iter_errors(self, instance: object) -> Iterator[SchemaError]: ...


@cache
def _validator(fmt: str) -> SchemaValidator:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    # the untyped library's boundary: its validator is read through SchemaValidator
    validator: SchemaValidator = Draft202012Validator(merged(load_schema(fmt)))
    return validator


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _dotted(path: Iterable[object]) -> str:
    return ".".join(str(p) for p in path) or "the document"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "mapping"


def _properties(schema: object) -> list[str]:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return list(props)


def _translate(err: SchemaError, doc: RawDocument) -> list[Diagnostic]:
    """One jsonschema error as diagnostics a person can act on."""
    path = tuple(err.absolute_path)
    where = doc.where(*path)
    kind = err.validator
    if kind == "additionalProperties":
        allowed = _properties(err.schema)
        extras = [k for k in err.instance if k not in allowed] \
            if isinstance(err.instance, dict) else []
        return [_unknown_key(doc, path, key, allowed) for key in extras]
    if kind == "required":
        present = err.instance if isinstance(err.instance, dict) else {}
        missing = [k for k in _listed(err.validator_value) if k not in present]
        return [error(f"missing required key '{k}' in {_dotted(path)}", where) for k in missing]
    if kind == "type":
        expected = err.validator_value
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
        return [error(f"{_dotted(path)}: expected {wanted}, got {_kind(err.instance)}", where)]
    if kind in ("enum", "const"):
        options = _listed(err.validator_value) if kind == "enum" else [err.validator_value]
        hint = _suggest(err.instance, [str(o) for o in options])
        listed = ", ".join(json.dumps(o) for o in options)
        return [error(f"{_dotted(path)}: invalid value {json.dumps(err.instance)}", where,
                      hint=hint or f"expected one of: {listed}")]
    if kind in ("anyOf", "oneOf") and err.context:
        return _branches(err, doc, path)
    return [error(f"{_dotted(path)}: {err.message}", where)]


def _branches(err: SchemaError, doc: RawDocument,
              path: tuple[str | int, ...]) -> list[Diagnostic]:
    """anyOf/oneOf: report inside the branch whose shape matched, else the expected shapes."""
    groups: dict[str | int, list[SchemaError]] = {}
    for sub in err.context:
        groups.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    shaped = [subs for subs in groups.values()
              if not any(s.validator in ("type", "const", "enum") and not s.relative_path
                         for s in subs)]
    if shaped:
        best = min(shaped, key=len)
        return [d for sub in best for d in _translate(sub, doc)]
    expected: list[str] = []
    for sub in err.context:
        if sub.validator == "type":
            values = sub.validator_value if isinstance(sub.validator_value, list) else [
                sub.validator_value]
            expected.extend(_TYPE_NAMES.get(str(v), str(v)) for v in values)
        elif sub.validator == "const":
            expected.append(json.dumps(sub.validator_value))
        elif sub.validator == "enum":
            expected.extend(json.dumps(v) for v in _listed(sub.validator_value))
    shown = [e for e in dict.fromkeys(expected) if e != "null"] or ["null"]
    if isinstance(err.instance, str) and all(e.startswith('"') for e in shown):
        options = [json.loads(e) for e in shown]
        return [error(f"{_dotted(path)}: invalid value {json.dumps(err.instance)}",
                      doc.where(*path), hint=_suggest(err.instance, options)
                      or "expected one of: " + ", ".join(shown))]
    hint = _suggest(err.instance, [e.strip('"') for e in shown]) if isinstance(
        err.instance, str) else ""
    return [error(f"{_dotted(path)}: expected {' or '.join(shown)}, got "
                  f"{_kind(err.instance)}", doc.where(*path), hint=hint)]


def _suggest(value: object, options: list[str]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _unknown_key(doc: RawDocument, path: tuple[str | int, ...], key: str,
                 allowed: list[str]) -> Diagnostic:
    hint = _suggest(key, allowed) or (
        "allowed keys: " + ", ".join(sorted(allowed)) if allowed else "")
    where = f" in {_dotted(path)}" if path else ""
    return error(f"unknown key '{key}'{where}", doc.where(*path, key), hint=hint)
