"""Every Python module of the package and of the tests stays at most 300 physical lines.

A module that grows past the limit is split along what it owns (see docs/architecture.md);
no file is generated today, so none is excluded.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 300
CHECKED = ("reconciler", "tests")


def too_long(root: Path) -> dict[str, int]:
    """Path (relative to ``root``) -> line count of every checked module over the limit."""
    found = {}
    for top in CHECKED:
        for path in sorted((root / top).rglob("*.py")):
            lines = len(path.read_bytes().splitlines())
            if lines > LIMIT:
                found[str(path.relative_to(root))] = lines
    return found


def test_every_module_is_at_most_300_lines() -> None:
    assert too_long(ROOT) == {}, f"split these modules (over {LIMIT} lines)"


def test_the_check_sees_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "reconciler" / "deep").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "reconciler" / "deep" / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (tmp_path / "tests" / "short.py").write_text("x = 1\n" * LIMIT)
    assert too_long(tmp_path) == {"reconciler/deep/long.py": LIMIT + 1}
