"""age keys and the real ``sops`` for the SOPS integration tests (test_sops_*.py).

:func:`keygen` makes an age key with ``age-keygen`` and returns its recipient; :func:`sops`
runs the ``sops`` binary reconciler itself uses with that key (``SOPS_AGE_KEY_FILE``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reconciler.engine.sops import sops_binary


def keygen(path: Path) -> str:
    """A new age key at ``path``; returns its recipient."""
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True, timeout=30)
    return next(line.split()[-1] for line in path.read_text().splitlines()
                if line.startswith("# public key:"))


def sops(key: Path, *args: str, cwd: Path) -> None:
    """``sops ARGS`` in ``cwd`` with the age key ``key``."""
    binary = sops_binary()
    assert binary is not None
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(key)}
    subprocess.run([binary, *args], cwd=cwd, env=env, check=True, capture_output=True,
                   timeout=60)
