"""validate.check(passed=...): documents that passed the schema before are not re-validated,
and Project.documents keeps those fingerprints in the state directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfg_testlib import write

from reconciler.config import load
from reconciler.engine.project import Project
from reconciler.validate import checker as validate
from reconciler.validate.checker import check, fingerprint

GOOD = "name: demo\nservices:\n  api:\n    binary: /bin/sleep\n    args: ['60']\n"
BAD = "name: demo\nservices:\n  api:\n    binary: /bin/sleep\n    args: 60\n"


class NoValidator:
    def __call__(self, fmt: str) -> Any:
        raise AssertionError(f"jsonschema ran for {fmt}")


def test_clean_documents_are_remembered_and_then_skipped(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"services.yaml": GOOD})
    docs, _ = load(tmp_path)
    passed: set[str] = set()
    assert check(docs, passed=passed, key=b"k") == []
    assert passed == {fingerprint(docs[0], b"k")}
    monkeypatch.setattr(validate, "_validator", NoValidator())
    assert check(docs, passed=passed, key=b"k") == []


def test_a_failing_document_is_never_remembered(tmp_path: Path) -> None:
    write(tmp_path, {"services.yaml": BAD})
    docs, _ = load(tmp_path)
    passed: set[str] = set()
    first = check(docs, passed=passed)
    assert first and passed == set()
    assert [d.render() for d in check(docs, passed=passed)] == [d.render() for d in first]


def test_fingerprint_follows_data_types_and_key(tmp_path: Path) -> None:
    write(tmp_path / "a", {"services.yaml": GOOD})
    write(tmp_path / "b", {"services.yaml": GOOD.replace("['60']", "[60]")})
    (good,), _ = load(tmp_path / "a")
    (other,), _ = load(tmp_path / "b")
    assert fingerprint(good, b"k") != fingerprint(other, b"k")
    assert fingerprint(good, b"k") != fingerprint(good, b"j")
    assert fingerprint(good, b"k") == fingerprint(load(tmp_path / "a")[0][0], b"k")


def test_project_keeps_fingerprints_of_current_files_only(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"services.yaml": GOOD})
    project = Project(tmp_path)
    _, diagnostics = project.documents()
    assert diagnostics == []
    cache = project.store.state_dir / "schema-passed"
    first = cache.read_text().split()
    assert len(first) == 1 and "sleep" not in cache.read_text()
    write(tmp_path, {"services.yaml": GOOD.replace("60", "61")})
    Project(tmp_path).documents()
    second = cache.read_text().split()
    assert len(second) == 1 and second != first
    write(tmp_path, {"services.yaml": BAD})
    _, diagnostics = Project(tmp_path).documents()
    assert any("args" in d.render() for d in diagnostics)
    assert cache.read_text().split() == second  # nothing new passed: the file is unchanged
    monkeypatch.setattr(validate, "_validator", NoValidator())
    write(tmp_path, {"services.yaml": GOOD.replace("60", "61")})
    assert Project(tmp_path).documents()[1] == []


def test_files_without_a_schema_are_left_out(tmp_path: Path) -> None:
    write(tmp_path, {"services.yaml": GOOD, "policy.yaml": "rules: []\n", ".env": "A=1\n"})
    project = Project(tmp_path)
    project.documents()
    assert len((project.store.state_dir / "schema-passed").read_text().split()) == 1
