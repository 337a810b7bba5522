"""watchdog's failures mapped into the error tree (reconciler.errors.watch_error) and the
FileSource that raises them: missing directory, removed directory, inotify limits."""

from __future__ import annotations

import errno
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import UserError, WatchError, watch_error
from reconciler.watch import sources
from reconciler.watch.queue import WorkQueue


@pytest.mark.parametrize(("code", "words"), [
    (errno.ENOENT, "does not exist"),
    (errno.ENOSPC, "inotify watch limit is reached"),
    (errno.EMFILE, "inotify instance limit is reached"),
    (errno.EACCES, "permission denied"),
    (errno.EIO, "Input/output error"),
])
def test_oserrors_map_to_watch_errors_with_hints(code: int, words: str) -> None:
    mapped = watch_error(OSError(code, __import__("os").strerror(code)), "/p")
    assert isinstance(mapped, WatchError) and isinstance(mapped, UserError)
    assert words in mapped.message and "/p" in mapped.message and mapped.hint
    assert mapped.exit_code == 1


def test_missing_directory_at_start(tmp_path: Path) -> None:
    source = sources.FileSource(tmp_path / "gone", WorkQueue(0.1))
    with pytest.raises(WatchError, match="does not exist"):
        source.start()
    source.stop()


def test_inotify_limit_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import watchdog.observers

    class Full:
        def __init__(self) -> None:
            self.daemon = False

        def schedule(self, *args: Any, **kwargs: Any) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Full)
    with pytest.raises(WatchError, match="watch limit"):
        sources.FileSource(tmp_path, WorkQueue(0.1)).start()


def test_removed_directory_is_noticed(tmp_path: Path) -> None:
    directory = tmp_path / "proj"
    directory.mkdir()
    source = sources.FileSource(directory, WorkQueue(0.1))
    source.start()
    try:
        source.check()  # alive: nothing raised
        shutil.rmtree(directory)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                source.check()
            except WatchError as exc:
                assert "does not exist (any more)" in exc.message
                break
            time.sleep(0.05)
        else:
            pytest.fail("a removed directory was not noticed")
    finally:
        source.stop()
