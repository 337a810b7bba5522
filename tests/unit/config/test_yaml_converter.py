"""The YAML converter on composed nodes: merges, duplicates, tags, positions, and the same
result from libyaml (ruamel.yaml.clib) as from ruamel's pure parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from infra.components import missing

from reconciler.config import services_yaml
from reconciler.config.services_yaml import YamlConverter, clib_available, parse_yaml
from reconciler.errors import SourceRange

CASES = {
    "merge": "base: &b {x: 1, y: 2}\nm:\n  z: 0\n  <<: *b\n  y: 3\n",
    "merge_list": "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nm:\n  <<: [*a, *b]\n",
    "types": "a: 2024-01-01\nb: 0o17\nc: 1_000\nd: .inf\ne: yes\nf: ~\ng: '007'\nh: 1e3\n",
    "tags": "a: !secret abc\nb: !!str 12\nc: !!binary aGVsbG8=\nd: !reset []\n",
    "keys": "1: a\ntrue: b\nnull: c\n",
    "unicode": "namé: {ü: [x, 'y', \"z\"]}\n",
    "blocks": "a: |\n  one\n  two\nb: >\n  folded\n  text\n",
    "bad": "a: [1,\n",
    "dup": "a: 1\nb:\n  c: 1\n  c: 2\n",
    "tab": "a:\n\t- 1\n",
}


def parsed(text: str) -> tuple[object, list[str], dict[object, SourceRange]]:
    doc, problems = parse_yaml(Path("f.yaml"), text, "services")
    return (doc.data if doc else None, [p.render() for p in problems],
            dict(doc.positions) if doc else {})


def test_merge_keys_explicit_keys_win_and_first_source_wins() -> None:
    data, problems, positions = parsed(CASES["merge"] + "n:\n  <<: [*b, {x: 9, w: 1}]\n")
    assert problems == []
    assert data["m"] == {"z": 0, "y": 3, "x": 1}  # type: ignore[index]
    assert list(data["m"]) == ["z", "y", "x"]  # type: ignore[index]
    assert data["n"] == {"x": 1, "y": 2, "w": 1}  # type: ignore[index]
    assert positions[("m", "y")] == SourceRange("f.yaml", 5, 3)
    assert positions[("m", "x")] == SourceRange("f.yaml", 1, 11)  # where the anchor says it


def test_scalars_keep_their_yaml_1_2_types_and_tags_their_text() -> None:
    data, _, _ = parsed(CASES["types"])
    assert data == {"a": "2024-01-01", "b": 15, "c": 1000, "d": float("inf"), "e": "yes",
                    "f": None, "g": "007", "h": 1000.0}
    tags, _, _ = parsed(CASES["tags"])
    assert tags == {"a": "abc", "b": "12", "c": "hello", "d": []}
    keys, problems, _ = parsed(CASES["keys"])
    assert problems == [] and keys == {"1": "a", "true": "b", "null": "c"}


def test_duplicate_key_points_at_the_second_one() -> None:
    data, problems, _ = parsed(CASES["dup"])
    assert data is None
    assert problems == ['f.yaml:4:3: error: invalid YAML: found duplicate key "c" with value '
                        '"2" (original value: "1")\n  while constructing a mapping\n'
                        "  hint: each key may appear only once in a mapping"]


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    data, problems, _ = parsed("a: &a [*a]\n")
    assert data is None and "recursive" in problems[0]


def test_styles_and_value_positions_are_tracked_when_asked() -> None:
    converter = YamlConverter("p.yaml", track_values=True)
    data = converter.load("a: plain\nb: 'single'\nc: \"double\"\nd: |\n  lit\ne: 3\n")
    assert data["e"] == 3
    assert converter.styles == {("a",): "plain", ("b",): "'", ("c",): '"', ("d",): "|"}
    assert converter.value_positions[("b",)] == SourceRange("p.yaml", 2, 4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_libyaml_and_the_pure_parser_agree(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not clib_available():
        missing("ruamel.yaml.clib (a dependency on CPython) is not installed: only the pure "
                "parser runs")
    fast = parsed(CASES[name])
    monkeypatch.setattr(services_yaml, "clib_available", lambda: False)
    assert parsed(CASES[name]) == fast
