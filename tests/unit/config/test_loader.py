"""config.load / discover and the per-format parsers: data, positions, parse errors."""

from __future__ import annotations

from pathlib import Path

from cfg_testlib import write

from reconciler.config import discover, load
from reconciler.config.dotenv import parse_dotenv
from reconciler.config.locald_toml import parse_toml
from reconciler.config.procfile import parse_procfile
from reconciler.config.services_yaml import parse_yaml
from reconciler.errors import SourceRange


def test_discover_lists_every_known_file_in_load_order(tmp_path: Path) -> None:
    write(tmp_path, {name: "" for name in (
        ".env", "policy.yaml", "docker-compose.yml", "docker-compose.override.yml",
        "Procfile", "locald.toml", "services.yaml", "README.md")})
    names = [p.name for p in discover(tmp_path)]
    assert names == ["services.yaml", "locald.toml", "Procfile", "docker-compose.yml",
                     "docker-compose.override.yml", "policy.yaml", ".env"]


def test_load_gives_formats_and_parses_policy_and_compose_generically(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services: {web: {image: x}}\n",
                     "policy.yaml": "rules: []\n", ".env": "A=1\n"})
    docs, diagnostics = load(tmp_path)
    assert diagnostics == []
    assert [(d.path.name, d.format) for d in docs] == [
        ("compose.yaml", "compose"), ("policy.yaml", "policy"), (".env", "dotenv")]
    assert docs[0].data == {"services": {"web": {"image": "x"}}}


def test_files_a_services_yaml_replaces_are_not_loaded(tmp_path: Path) -> None:
    write(tmp_path, {"services.yaml": "replaces: [Procfile, .vendetta/config.yaml, x.yaml, 3]\n",
                     "Procfile": "web: sleep 1\n", "locald.toml": "[services.a]\n",
                     ".vendetta/config.yaml": "services: {}\n"})
    docs, diagnostics = load(tmp_path)
    assert diagnostics == []
    assert [d.path.name for d in docs] == ["services.yaml", "locald.toml"]


def test_load_without_config_and_missing_dir(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path)
    assert [d.summary for d in diagnostics] == [f"no configuration found in {tmp_path}"]
    _, diagnostics = load(tmp_path / "nope")
    assert diagnostics[0].summary.startswith("project directory not found")


def test_yaml_positions_and_where_fallback() -> None:
    text = "services:\n  api:\n    binary: x\n    args: [a, b]\n"
    doc, problems = parse_yaml(Path("s.yaml"), text, "services")
    assert problems == [] and doc is not None
    assert doc.where("services", "api", "binary") == SourceRange("s.yaml", 3, 5)
    assert doc.where("services", "api", "args", 1) == SourceRange("s.yaml", 4, 15)
    assert doc.where("services", "api", "nothing", 3) == SourceRange("s.yaml", 2, 3)
    assert doc.where("elsewhere") == SourceRange("s.yaml", 1, 1)
    assert doc.get("services", "api", "args", 0) == "a"


def test_yaml_syntax_error_and_duplicate_key_have_positions() -> None:
    _, problems = parse_yaml(Path("s.yaml"), "a: [1\nb: 2\n", "services")
    assert problems[0].source is not None and problems[0].source.line == 2
    assert problems[0].summary.startswith("invalid YAML")
    _, problems = parse_yaml(Path("s.yaml"), "a: 1\nb: 2\na: 3\n", "services")
    assert str(problems[0].source) == "s.yaml:3:1"
    assert 'duplicate key "a"' in problems[0].summary


def test_yaml_alias_bomb_is_a_diagnostic() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    _, problems = parse_yaml(Path("s.yaml"), "\n".join(lines), "services")
    assert problems and "too large" in problems[0].summary


def test_toml_positions_of_headers_keys_and_inline_tables() -> None:
    text = ('[project]\nname = "p"\n\n[services.web]\ncommand = "x"\n'
            'health_check = { type = "http", path = "/" }\n')
    doc, problems = parse_toml(Path("locald.toml"), text)
    assert problems == [] and doc is not None
    assert doc.where("services", "web") == SourceRange("locald.toml", 4, 2)
    assert doc.where("services", "web", "command") == SourceRange("locald.toml", 5, 1)
    assert doc.where("services", "web", "health_check", "path") == SourceRange(
        "locald.toml", 6, 33)


def test_toml_syntax_error_has_line_and_column() -> None:
    _, problems = parse_toml(Path("locald.toml"), '[project]\nname = "p\n')
    assert str(problems[0].source) == "locald.toml:2:10"
    assert problems[0].summary.startswith("invalid TOML")


def test_procfile_lines_comments_and_errors() -> None:
    text = "# comment\n\nweb: python3 -m http.server $PORT\nworker:  run.sh --x\nbad line\n" \
           "web: again\nempty:\n"
    doc, problems = parse_procfile(Path("Procfile"), text)
    assert doc.data == {"processes": {"web": "python3 -m http.server $PORT",
                                      "worker": "run.sh --x"}}
    assert doc.where("processes", "worker") == SourceRange("Procfile", 4, 1)
    assert [(d.summary, d.source.line if d.source else 0) for d in problems] == [
        ("invalid Procfile line", 5), ("process 'web' is defined twice", 6),
        ("process 'empty' has no command", 7)]


def test_dotenv_quotes_export_and_comments() -> None:
    text = ("# c\nexport A=1\nB='x # y'\nC=\"l1\\nl2\"\nD=plain # comment\nE=\n"
            "F=\"open\n!!\n")
    doc, problems = parse_dotenv(Path(".env"), text)
    assert doc.data == {"A": "1", "B": "x # y", "C": "l1\nl2", "D": "plain", "E": ""}
    assert doc.where("A") == SourceRange(".env", 2, 8)
    assert [d.summary for d in problems] == ["unterminated quote in the value of F",
                                            "invalid .env line"]
