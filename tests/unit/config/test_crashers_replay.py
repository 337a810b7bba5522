"""Every input that ever crashed a loader (tests/fuzz_corpus/crashers/<format>-<hash>.<ext>,
written minimised by tests/benchmarks/fuzz_loaders.py) is replayed through the CLI's entry
point: none may crash (an exception past the CLI's handler, or exit 3). The directory must
not be empty: an empty corpus would make this test pass without replaying anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing import fuzz, fuzz_cli

CRASHERS = fuzz.CORPUS / "crashers"

# Crashers of compose.yaml semantics that branch 'compose' fixes; drop after merging it.
FIXED_ELSEWHERE = {
    "compose-2c6a0904.yaml": "fixed on branch compose",  # AttributeError, model/compose.py
}


def _kept() -> list[Path]:
    return sorted(CRASHERS.glob("*.*")) if CRASHERS.is_dir() else []


def test_the_crasher_corpus_is_not_empty() -> None:
    assert _kept(), f"no crashers in {CRASHERS}"


def test_every_crasher_names_a_known_format() -> None:
    for path in _kept():
        name = path.stem.rsplit("-", 1)[0]
        assert name in fuzz_cli.LOADERS, path.name
        assert path.suffix == f".{fuzz_cli.LOADERS[name].ext}", path.name


@pytest.mark.parametrize("path", _kept(), ids=lambda p: p.name)
def test_a_crasher_no_longer_crashes(path: Path, tmp_path: Path) -> None:
    if path.name in FIXED_ELSEWHERE:
        pytest.xfail(FIXED_ELSEWHERE[path.name])
    name = path.stem.rsplit("-", 1)[0]
    text = path.read_bytes().decode("utf-8", "surrogatepass")
    result = fuzz_cli.outcome(tmp_path, name, text)
    assert result.kind != "crash", f"{path.name}: {result.detail}"
