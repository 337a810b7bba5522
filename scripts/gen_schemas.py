"""Write every JSON Schema from its pydantic model (`just schemas`), in two places, and the
per-type key rules of services.yaml, the model's table of kind hooks and the module list of
the kind-independence contract in pyproject.toml (all from the registry's ``PACKAGES``).

`reconciler/validate/schemas/` is package data: what an installed reconciler validates with.
`schemas/` holds the same files for editors (`# yaml-language-server: $schema=...`). The
services schema and `reconciler/config/kind_rules.py` come from one source, the schema models
the kinds of the registry name (`reconciler/actuators/schema.py`); the test snapshot of the
schemas is their third copy. tests/unit/config/test_validate.py fails when any differs.
With --check, write nothing and exit 1 when a checked-in file differs from the models.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.actuators.hooks import table_text  # noqa: E402
from reconciler.actuators.schema import generate, rules_text  # noqa: E402
from reconciler.config.schema_export import dumps  # noqa: E402
from reconciler.policy.schema import render_policy_schema  # noqa: E402
from reconciler.render.plan_schema import schema_text  # noqa: E402

TARGETS = (ROOT / "schemas", ROOT / "reconciler" / "validate" / "schemas")
RULES = ROOT / "reconciler" / "config" / "kind_rules.py"
TABLE = ROOT / "reconciler" / "model" / "kind_table.py"
PYPROJECT = ROOT / "pyproject.toml"
# the independence contract's module list, between these two lines of pyproject.toml
KINDS_START = "# kind packages: generated from actuators/registry.py PACKAGES (just schemas)\n"
KINDS_END = "]  # end of kind packages\n"


def texts() -> dict[str, str]:
    """File name -> the exact text each schema file holds."""
    out = {name: dumps(schema) for name, schema in generate().items()}
    out["plan.schema.json"] = schema_text()
    out["policy.schema.json"] = render_policy_schema()
    return out


def contract_text(pyproject: str) -> str:
    """``pyproject`` with the kind-independence contract listing every registered kind."""
    from reconciler.actuators.registry import PACKAGES

    head, found, rest = pyproject.partition(KINDS_START)
    _, ended, tail = rest.partition(KINDS_END)
    if not found or not ended:
        raise SystemExit(f"pyproject.toml lacks the generated kind list ({KINDS_START.strip()})")
    listed = "".join(f'  "{package}",\n' for package in PACKAGES)
    return f"{head}{KINDS_START}modules = [\n{listed}{KINDS_END}{tail}"


def files() -> dict[Path, str]:
    """Every generated file -> the exact text it holds."""
    out = {folder / name: text for name, text in texts().items() for folder in TARGETS}
    out[RULES] = rules_text()
    out[TABLE] = table_text()
    out[PYPROJECT] = contract_text(PYPROJECT.read_text())
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in files().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(str(path.relative_to(ROOT)))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if check and stale:
        print("schemas out of date: " + ", ".join(stale) + " (run: just schemas)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
