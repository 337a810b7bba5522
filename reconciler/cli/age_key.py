"""``--age-key-file`` of plan, apply, watch and sync: the age key that decrypts SOPS secrets.

Kept apart from cli/common.py, which the typer-free fast path imports (this module needs typer
for the option's declaration; a command given ``--age-key-file`` takes the typer path).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

AgeKeyFileOpt = Annotated[Path | None, typer.Option(
    "--age-key-file", help="The age key that decrypts SOPS-encrypted secrets (sets "
    "SOPS_AGE_KEY_FILE; default: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, then sops' own default).")]


def use_age_key(path: Path | None) -> None:
    """``--age-key-file``: checked, then exported as ``SOPS_AGE_KEY_FILE`` for this process
    (and the sync agent it may start), where sops reads it."""
    from reconciler.errors import UserError

    if path is None:
        return
    if not path.is_file():
        raise UserError(f"--age-key-file: {path} is not a file",
                        hint="make a key with: reconciler secrets init")
    os.environ["SOPS_AGE_KEY_FILE"] = str(path.resolve())


def with_age_key(path: Path | None, run: Callable[[], int]) -> int:
    """``run()`` once ``--age-key-file`` (if given) is in place."""
    use_age_key(path)
    return run()
