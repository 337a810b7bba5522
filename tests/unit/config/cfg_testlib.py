"""Shared helpers of the config-stage tests (imported by name: pytest puts this dir on sys.path)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path


def write(directory: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
