"""Every third-party module reconciler/ imports is a declared runtime dependency (issue 12: an
undeclared `click` import crashed a venv made by scripts/quickstart.sh)."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# distribution name -> the top-level modules it installs
MODULES = {"ruamel.yaml": {"ruamel"}, "ruamel.yaml.clib": {"_ruamel_yaml"},
           "common-expression-language": {"cel"}, "pyyaml": {"yaml"},
           "psycopg": {"psycopg"}, "kubernetes-validate": {"kubernetes_validate"}}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra, deps in project.get("optional-dependencies", {}).items():
        if extra != "dev":
            names += deps
    found: set[str] = set()
    for spec in names:
        name = spec.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        name = name.strip().lower()
        found |= MODULES.get(name, {name.replace("-", "_")})
    return found


def imported() -> dict[str, str]:
    seen: dict[str, str] = {}
    for path in sorted((ROOT / "reconciler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "reconciler" and top not in sys.stdlib_module_names:
                    seen.setdefault(top, str(path.relative_to(ROOT)))
    return seen


def test_every_third_party_import_is_declared() -> None:
    undeclared = {m: where for m, where in imported().items() if m not in declared()}
    assert not undeclared, f"imported but not in pyproject dependencies: {undeclared}"


def test_click_is_not_imported_by_the_cli() -> None:
    assert "click" not in imported()
