"""`reconciler watch` when the directory it watches cannot be watched: a clear error, exit 1,
no traceback (issue 12). The inotify limits are not lowered for real here (a machine-wide
sysctl would break every other watcher); tests/unit/test_watch_error_mapping.py maps them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_watched_directory_removed_ends_watch_with_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "services.yaml").write_text(
        f"name: wdel\nservices:\n  motd:\n    type: file\n    path: {tmp_path}/out/motd\n"
        "    content: hi\n")
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "-C", str(project), "watch",
                             "--json", "--debounce", "0.1", "--interval", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "out" / "motd").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "out" / "motd").read_text() == "hi"
        shutil.rmtree(project)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in out + err
    assert "the directory does not exist (any more)" in err


@pytest.mark.parametrize("args", [["watch"], ["watch", "--json"], ["plan"]])
def test_watch_on_a_missing_directory_is_a_user_error(tmp_path: Path, args: list[str]) -> None:
    """Like every other command (issue 27): no "watching ... in sync", exit 1, nothing made."""
    done = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(tmp_path / "nope"),
                           *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == "" and "watching" not in done.stderr
    assert "project directory" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "nope").exists()
