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
FIXED_ELSEWHERE: dict[str, str] = {}


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


def test_judge_tells_located_refusals_from_unlocated_ones_and_crashes() -> None:
    located = "/p/services.yaml:3:5: error: bad\n  ERROR: <input>:1:7: Syntax error: x\n"
    assert fuzz_cli.judge(1, located, None).kind == "located"
    assert fuzz_cli.judge(1, "error: cannot read x\n", None).kind == "unlocated"
    assert fuzz_cli.judge(1, "/p/a.toml:0:0: error: bad\n", None).kind == "unlocated"
    assert fuzz_cli.judge(0, "Success!\n", None).kind == "valid"
    assert fuzz_cli.judge(3, "internal error\n", None) == fuzz_cli.Outcome("crash", "exit 3")


def test_a_missing_file_through_the_cli_is_a_refusal_not_a_crash(tmp_path: Path) -> None:
    code, output, crash = fuzz_cli.run_cli(["-C", str(tmp_path / "missing"), "import",
                                            "wireguard", str(tmp_path / "none.conf")])
    assert crash is None and code != 3 and "none.conf" in output
