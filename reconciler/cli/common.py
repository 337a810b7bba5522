"""What every CLI path shares, without typer: the global options, printing, and exit codes.

Both the typer app (cli/app.py, which re-exports :class:`Globals` and :func:`echo`) and the
typer-free fast path (cli/fast.py) use this module, so ``plan``/``apply``/``destroy`` behave the
same whichever parser ran. :func:`guarded` is the one mapping of errors to messages and exit
codes: a :class:`~reconciler.errors.ReconcilerError` prints its rendering and exits with its
code (3 with a crash report), Ctrl-C exits 130 ("interrupted"), any other exception is a bug
(exit 3: one line and the path of a crash report that holds the traceback). Usage errors
belong to the parser that found them: the typer path passes a ``translate`` hook that maps
click's exceptions (exit 2 becomes 1).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.engine.project import Project


class CliExit(Exception):
    """Stop the command with this exit code (nothing more to print)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Globals:
    directory: Path
    session: str | None
    state_dir: Path | None
    color: bool
    policy: Path | None = None
    state: str | None = None  # --state URL (RECONCILER_STATE); None: the SQLite file
    lock_timeout: float = 0.0  # --lock-timeout: how long apply waits for the lease

    def project(self, *, strict: bool = False) -> Project:
        from reconciler.engine.project import Project

        self.check_directory()
        check_path_option(self.policy, "--policy")
        if self.session is not None:  # a session `run --keep` kept: its stacks come along
            from reconciler.state.store import StateStore
            from reconciler.workflows.session import StackProject, kept_stacks

            stacks = kept_stacks(StateStore.local_dir(self.directory, self.session,
                                                      self.state_dir))
            return StackProject(self.directory, session=self.session, state_dir=self.state_dir,
                                strict=strict, policy_file=self.policy, state_url=self.state,
                                lock_timeout=self.lock_timeout, with_stacks=stacks)
        return Project(self.directory, session=self.session, state_dir=self.state_dir,
                       strict=strict, policy_file=self.policy, state_url=self.state,
                       lock_timeout=self.lock_timeout)

    def check_directory(self) -> None:
        """``-C DIR`` must be an existing directory before anything is read or written."""
        from reconciler.errors import UserError

        try:
            ok = self.directory.is_dir()
        except OSError as exc:
            raise UserError(f"cannot use the project directory {str(self.directory)[:120]}: "
                            f"{exc.strerror or exc}") from None
        if not ok:
            raise UserError(f"the project directory {str(self.directory)[:120]} does not "
                            "exist or is not a directory",
                            hint="pass an existing directory with -C/--project")


def check_path_option(path: Path | None, option: str) -> None:
    """Raise :class:`~reconciler.errors.UserError` when ``path`` cannot even be looked at (a
    name too long, a symlink loop); a missing file is left to the command that needs it."""
    from reconciler.errors import UserError

    if path is None:
        return
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise UserError(f"cannot use {option} {str(path)[:120]}: {exc.strerror or exc}",
                        hint=f"pass a shorter or existing path to {option}") from None


def wants_color(no_color: bool) -> bool:
    """Color only on a terminal, unless --no-color or NO_COLOR says otherwise."""
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def echo(text: str = "", *, err: bool = False) -> None:
    """Renderers return text; the CLI prints it (the engine never prints)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text if text.endswith("\n") or not text else text + "\n")
    stream.flush()


Translate = Callable[[Exception], "int | None"]


def exit_code_for(exc: BaseException, translate: Translate | None = None) -> int:
    """Report ``exc`` on stderr the way the CLI does and return the exit code it means.
    A bug (exit 3) prints one line and the path of its crash report, never a traceback
    (:mod:`reconciler.cli.crash`)."""
    from reconciler.errors import ReconcilerError

    if isinstance(exc, CliExit):
        return exc.code
    if isinstance(exc, ReconcilerError):
        echo(exc.render(), err=True)
        if exc.exit_code == 3:
            _crash_report(exc)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        echo("interrupted", err=True)
        return 130
    if isinstance(exc, Exception) and translate is not None:
        code = translate(exc)
        if code is not None:
            return code
    detail = str(exc)
    echo(f"internal error (a bug in reconciler; please report it): {type(exc).__name__}"
         + (f": {detail}" if detail else ""), err=True)
    _crash_report(exc)
    return 3


def _crash_report(exc: BaseException) -> None:
    from reconciler.cli.crash import report_lines

    for line in report_lines(exc):
        echo(line, err=True)


def guarded(body: Callable[[], int | None], translate: Translate | None = None) -> int:
    """Run ``body`` and return its exit code, or the one :func:`exit_code_for` gives its error."""
    try:
        return body() or 0
    except (Exception, KeyboardInterrupt) as exc:
        return exit_code_for(exc, translate)


LIBRARY_LOGGERS = ("paramiko", "fabric", "invoke", "docker", "urllib3", "requests",
                   "watchdog", "psycopg", "uvicorn", "asyncio")


def quiet_library_logs(environ: Mapping[str, str] | None = None) -> None:
    """Keep third-party log records (paramiko's transport thread logs whole tracebacks) off
    the terminal: what a library reports reaches the user as a mapped error, never as its
    own output. ``RECONCILER_DEBUG_LOG=FILE`` keeps them, for a bug report."""
    import logging

    path = (os.environ if environ is None else environ).get("RECONCILER_DEBUG_LOG")
    handler: logging.Handler
    if path:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    else:
        handler = logging.NullHandler()
    for name in (*LIBRARY_LOGGERS, "reconciler.threads"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if path else logging.CRITICAL + 1)
    import threading

    def thread_died(args: threading.ExceptHookArgs) -> None:
        """A library's background thread (paramiko's transport, at exit) that raises: its
        error already reached the user mapped; the traceback goes to the debug log only."""
        if args.exc_type is not SystemExit and args.exc_value is not None:
            logging.getLogger("reconciler.threads").error(
                "thread %s died", getattr(args.thread, "name", "?"), exc_info=args.exc_value)

    threading.excepthook = thread_died

