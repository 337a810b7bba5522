"""Crash reports: what a bug (exit 3) leaves behind instead of a traceback on the terminal.

A user never sees a traceback: :func:`write_report` saves it, with the version, the command
line (passwords in URLs masked) and the Python and platform versions, to
``$XDG_STATE_HOME/reconciler/crash/crash-<time>-<pid>.txt`` (default ``~/.local/state``; mode
0600), and the CLI prints one line naming that file. ``RECONCILER_DEBUG=1`` prints the
traceback on stderr as well (for developers). When no report can be written, the last frame
is named instead, so there is always something to report.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path

_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^@\s/]+@")


def crash_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if base else Path(os.environ.get("HOME") or Path.home()) / ".local/state"
    return root / "reconciler" / "crash"


def _masked_argv() -> str:
    return " ".join(_URL_PASSWORD.sub(r"\1***@", arg) for arg in sys.argv)


def report_text(exc: BaseException) -> str:
    from reconciler import __version__

    lines = [f"reconciler {__version__} crash report",
             f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
             f"command: {_masked_argv()}",
             f"python: {sys.version.split()[0]} ({platform.platform()})", "",
             *traceback.format_exception(exc)]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def write_report(exc: BaseException) -> Path | None:
    """Save the report; answer its path, or None when it could not be written."""
    folder = crash_dir()
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(report_text(exc))
    except OSError:
        return None
    return path


def where(exc: BaseException) -> str:
    """``file:line in function`` of the innermost frame (when no report could be written)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "no traceback"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def report_lines(exc: BaseException) -> list[str]:
    """What the CLI prints about a bug, after its first line."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    path = write_report(exc)
    lines = [f"  crash report (attach it to the issue): {path}" if path is not None
             else f"  at {where(cause)} (no crash report could be written to {crash_dir()})"]
    if os.environ.get("RECONCILER_DEBUG"):
        lines.append("".join(traceback.format_exception(exc)).rstrip())
    else:
        lines.append("  set RECONCILER_DEBUG=1 to print the traceback here")
    return lines
