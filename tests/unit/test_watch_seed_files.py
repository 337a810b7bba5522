"""watch notices a write to .vendetta/config.yaml (a config file in a subdirectory) and to
.par.yaml, through the real watchdog observer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from reconciler.watch.sources import FileSource


class Recorder:
    def __init__(self) -> None:
        self.names: list[str] = []

    def file_changed(self, name: str) -> None:
        self.names.append(name)


def test_vendetta_and_par_writes_are_seen(tmp_path: Path) -> None:
    (tmp_path / ".vendetta").mkdir()
    recorder: Any = Recorder()
    source = FileSource(tmp_path, recorder)
    source.start()
    try:
        (tmp_path / ".vendetta" / "config.yaml").write_text("services: {}\n")
        (tmp_path / ".par.yaml").write_text("initialization: {}\n")
        (tmp_path / "notes.txt").write_text("not config\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not {"config.yaml", ".par.yaml"} <= set(
                recorder.names):
            time.sleep(0.05)
    finally:
        source.stop()
    assert {"config.yaml", ".par.yaml"} <= set(recorder.names)
    assert "notes.txt" not in recorder.names
