"""Diagnostics at the user's lines (issue 27): a name used twice in ``uses:`` and a
``type: compose`` entry whose ``files:`` names a missing file are reported at
services.yaml's file:line:col, never inside the installed catalog file or without a line."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.config import interpolation_env, load
from reconciler.engine.local_host import LocalHost
from reconciler.errors import Diagnostic, Severity
from reconciler.model import stacks
from reconciler.model.build import build


def errors_of(tmp_path: Path, services: str, **files: str) -> list[Diagnostic]:
    (tmp_path / "services.yaml").write_text(services)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    docs, problems = load(tmp_path)
    assert problems == []
    environ = {"PATH": os.environ.get("PATH", ""), stacks.VARIANT_VAR: "container"}
    merged = interpolation_env(docs, environ)
    ports = iter(range(30001, 30100))
    _, found = build(docs, env=merged, session=None, port_allocator=lambda _a: next(ports),
                     host=LocalHost(merged))
    return [d for d in found if d.severity is Severity.ERROR]


def where(diagnostic: Diagnostic) -> tuple[str, int, int]:
    assert diagnostic.source is not None
    return (Path(diagnostic.source.file).name, diagnostic.source.line,
            diagnostic.source.column)


def test_the_same_stack_used_twice_is_reported_at_both_uses(tmp_path: Path) -> None:
    found = errors_of(tmp_path, "services:\n  web:\n    command: sleep 100\n"
                                "uses:\n  - redis\n  - redis\n")
    assert [where(d) for d in found] == [("services.yaml", 6, 5)]
    text = found[0].render()
    assert "services.yaml:5:5" in text and "services.yaml:6:5" in text
    assert "catalog" not in text


def test_a_use_named_like_a_service_is_reported_at_both(tmp_path: Path) -> None:
    found = errors_of(tmp_path, "services:\n  redis:\n    command: sleep 100\n"
                                "uses:\n  - redis\n")
    assert [where(d) for d in found] == [("services.yaml", 5, 5)]
    assert "services.yaml:2:3" in found[0].render()


def test_a_missing_compose_file_is_reported_at_its_files_entry(tmp_path: Path) -> None:
    found = errors_of(tmp_path, "services:\n  app:\n    type: compose\n    files:\n"
                                "      - compose.yaml\n      - missing.yaml\n",
                      **{"compose.yaml": "services:\n  a:\n    image: alpine\n"})
    assert [where(d) for d in found] == [("services.yaml", 6, 9)]
    assert "missing.yaml" in found[0].summary


def test_a_missing_compose_file_given_as_a_string(tmp_path: Path) -> None:
    found = errors_of(tmp_path, "services:\n  app:\n    type: compose\n"
                                "    files: missing.yaml\n")
    assert [where(d) for d in found] == [("services.yaml", 4, 5)]
