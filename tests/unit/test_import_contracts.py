"""The import contracts in pyproject.toml cover the whole package, so nothing new escapes them.

Every module under reconciler/ belongs to exactly one entry of the layers contract (a layer
names a whole package, or a module); the root package itself is excluded: it is the contract's
``root_package`` and only holds ``__version__``, so it must import nothing of ours. The
independence contract lists exactly the kind packages of the registry, as whole packages.
`lint-imports` checks the imports; this test checks that the contracts name everything.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

from reconciler.actuators.registry import PACKAGES

ROOT = Path(__file__).resolve().parents[2]


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["type"]: c for c in config["contracts"]}


def modules(package_dir: Path) -> list[str]:
    """Every module's dotted name under ``package_dir`` (packages by their __init__)."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return found


def layer_entries(layers: list[str]) -> list[str]:
    return [name.strip() for layer in layers for name in re.split(r"[|:]", layer)]


def uncovered(names: list[str], entries: list[str]) -> dict[str, list[str]]:
    """Module -> the entries covering it, for every module not covered exactly once."""
    covering = {m: [e for e in entries if m == e or m.startswith(e + ".")] for m in names}
    return {m: found for m, found in covering.items() if len(found) != 1}


def test_every_module_is_in_exactly_one_layer() -> None:
    entries = layer_entries(contracts()["layers"]["layers"])
    names = [m for m in modules(ROOT / "reconciler") if m != "reconciler"]
    assert len(names) > 200
    assert uncovered(names, entries) == {}


def test_the_root_package_imports_nothing_of_ours() -> None:
    tree = ast.parse((ROOT / "reconciler" / "__init__.py").read_text())
    imported = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imported == []


def test_a_module_outside_every_layer_is_reported(tmp_path: Path) -> None:
    (tmp_path / "reconciler" / "newpkg").mkdir(parents=True)
    for name in ("__init__.py", "errors.py", "newpkg/__init__.py", "newpkg/mod.py"):
        (tmp_path / "reconciler" / name).write_text("")
    names = [m for m in modules(tmp_path / "reconciler") if m != "reconciler"]
    entries = layer_entries(["reconciler.errors | reconciler.newpkg.mod"])
    assert uncovered(names, entries) == {"reconciler.newpkg": []}


def test_the_independence_contract_names_every_kind_package() -> None:
    assert contracts()["independence"]["modules"] == list(PACKAGES)
