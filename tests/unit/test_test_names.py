"""Test modules are imported by basename (rootdir-relative, no packages), so two test files
with one name in different directories break the collection of the whole suite."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_module_name_is_unique() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []


def test_no_test_module_imports_the_tests_directory_as_a_package() -> None:
    """``from tests.x import y`` only works with the checkout on PYTHONPATH: the suite run as
    the README says (scripts/test.sh) cannot import it. Shared helpers live in each test
    directory's own modules (``testing``, ``infra``, ``cfg_testlib``)."""
    bad = [str(path.relative_to(TESTS)) for path in sorted(TESTS.rglob("*.py"))
           if any(line.lstrip().startswith(("from tests.", "import tests"))
                  for line in path.read_text(encoding="utf-8").splitlines())]
    assert bad == []
