"""scripts/setup-test-env.sh installs Debian packages without their recommends (issue 27).

wireguard-tools recommends a kernel image and docker.io a whole tool set; the script installs
with --no-install-recommends and lists the recommends the suite does need explicitly.
"""

from __future__ import annotations

import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup-test-env.sh"


def _packages(text: str) -> set[str]:
    match = re.search(r"^PACKAGES=\(([^)]*)\)", text, re.MULTILINE)
    assert match, "PACKAGES=(...) not found"
    return set(match.group(1).split())


def test_every_apt_install_skips_recommends() -> None:
    text = SCRIPT.read_text()
    installs = [line for line in text.splitlines() if "apt-get" in line and " install " in line]
    assert installs, "no apt-get install line found"
    for line in installs:
        assert "--no-install-recommends" in line, line


def test_needed_recommends_are_listed_explicitly() -> None:
    packages = _packages(SCRIPT.read_text())
    # git: sync tests; fonts-liberation: chromium's text; the rest: dockerd's runtime needs.
    for needed in ("git", "ca-certificates", "xz-utils", "cgroupfs-mount", "fonts-liberation"):
        assert needed in packages, needed
    assert not any(p.startswith("linux-image") for p in packages)
