"""Write schemas/*.schema.json from the pydantic models (`just schemas`).

With --check, write nothing and exit 1 when a checked-in schema differs from the models.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciler.config.schema_export import dumps, generate  # noqa: E402


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, schema in generate().items():
        path = ROOT / "schemas" / name
        text = dumps(schema)
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(name)
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
