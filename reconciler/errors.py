"""The one error tree of reconciler, and the diagnostics that user errors carry.

Every error the engine raises on purpose derives from :class:`ReconcilerError`::

    ReconcilerError                     exit_code
    ├── UserError                       1   the user can fix it; no traceback
    │   ├── ConfigError                 1   carries every Diagnostic at once
    │   ├── PlanError                   1   dependency cycle, unknown --target, ...
    │   ├── StalePlanError              1   a saved plan no longer matches the world/config
    │   ├── LockedError                 1   another apply holds the project's lease
    │   ├── PolicyDenied                1   policy.yaml said deny
    │   ├── ApplyFailed                 1   some nodes failed; the run summary says which
    │   ├── HostUnreachable             1   an SSH host could not be reached
    │   ├── StateUnavailable            1   the state backend (PostgreSQL) cannot be used
    │   ├── WatchError                  1   `watch` cannot (or can no longer) watch the files
    │   └── GitError                    1   `reconciler sync`: a git command failed
    │       └── SignatureRefused        1   a commit's signature is missing or bad
    ├── ActuatorError                       raised by actuators; mapped at the boundary
    │   ├── TransientError                  retry after ``retry_after`` seconds (bounded)
    │   └── TerminalError                   do not retry; the node fails
    └── InternalError                   3   a bug: its traceback goes to a crash report

Library exceptions (docker, paramiko, subprocess, sqlite3, watchdog) are mapped to these at the
boundary that calls the library; nothing else escapes to the CLI except as ``InternalError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True, order=True)
class SourceRange:
    """A position in a config file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


class Severity(StrEnum):
    """How bad a diagnostic is; only errors make ``validate`` fail."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs, with where it is and how to fix it."""

    severity: Severity
    summary: str
    detail: str = ""
    hint: str = ""
    address: str | None = None
    source: SourceRange | None = None

    def render(self) -> str:
        """``file:line:col: error: summary`` plus indented detail and hint lines."""
        where = f"{self.source}: " if self.source is not None else ""
        text = f"{where}{self.severity.value}: {self.summary}"
        if self.detail:
            text += f"\n  {self.detail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        src = self.source
        return (src.file if src else "", src.line if src else 0, src.column if src else 0,
                self.summary)


def error(summary: str, source: SourceRange | None = None, *, hint: str = "", detail: str = "",
          address: str | None = None) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(Severity.ERROR, summary, detail, hint, address, source)


def warning(summary: str, source: SourceRange | None = None, *, hint: str = "",
            detail: str = "", address: str | None = None) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(Severity.WARNING, summary, detail, hint, address, source)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class ReconcilerError(Exception):
    """Base of every error reconciler raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "", source: SourceRange | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.source = source

    def render_short(self) -> str:
        """One line: the message, then the hint in parentheses."""
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message

    def render(self) -> str:
        where = f"{self.source}: " if self.source is not None else ""
        text = f"{where}error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UserError(ReconcilerError):
    """Something the user can fix: printed as a short message, never a traceback."""


class ObjectGone(UserError):
    """The running object an import (or an ``adopt:`` block) names does not exist or does
    not run: an ``adopt:`` of an object imported and destroyed since is planned as a create."""


class StateUnavailable(UserError):
    """The state backend cannot be used: a PostgreSQL server away or refusing, a read-only
    database, a schema that is not reconciler's. The connection string's password is masked."""


class ConfigError(UserError):
    """The configuration is invalid; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        super().__init__(f"configuration has {len(errors)} error(s)")
        self.diagnostics = tuple(diagnostics)

    def render(self) -> str:
        return "\n".join(d.render() for d in sorted(self.diagnostics, key=Diagnostic.sort_key))


class PlanError(UserError):
    """The plan cannot be built: a dependency cycle, an unknown target, ..."""


class StalePlanError(UserError):
    """A saved plan no longer matches the configuration or the observed world."""


class LockedError(UserError):
    """Another apply holds the project's lease."""


class Refused(UserError):
    """Apply refuses the plan before touching anything; a watcher holds it for a person."""


class PolicyDenied(Refused):
    """policy.yaml denied (or requires approval for) part of the plan."""


class ApplyFailed(UserError):
    """One or more nodes failed during apply; the rest of the run went on."""


class OwnedElsewhere(Refused):
    """A plan would change objects another state made (their owner marks carry another state
    id); ``--adopt`` takes them over."""


class HostUnreachable(UserError):
    """An SSH host could not be reached or authenticated."""


class GitError(UserError):
    """A git command of ``reconciler sync`` failed (clone, fetch, checkout, no such ref)."""


class SignatureRefused(GitError):
    """``--verify-signatures``: the commit is unsigned or signed by a key not trusted."""


class WatchError(UserError):
    """The file watcher cannot watch the project directory: it is missing or was removed, or
    the system's inotify limits are reached (see :func:`watch_error`)."""


def watch_error(exc: OSError | None, directory: object) -> WatchError:
    """Map what watchdog raised while watching ``directory`` (None: its watch ended because
    the directory went away) to a WatchError with a hint."""
    import errno

    code = getattr(exc, "errno", None)
    if exc is None or code == errno.ENOENT:
        return WatchError(f"cannot watch {directory}: the directory does not exist (any more)",
                          hint="restore or re-create the project directory, then start "
                               "`reconciler watch` again; the services keep running")
    if code == errno.ENOSPC:
        return WatchError(f"cannot watch {directory}: the inotify watch limit is reached",
                          hint="raise fs.inotify.max_user_watches (sysctl), or stop other "
                               "file watchers")
    if code == errno.EMFILE:
        return WatchError(f"cannot watch {directory}: the inotify instance limit is reached",
                          hint="raise fs.inotify.max_user_instances (sysctl), or stop other "
                               "file watchers")
    if code in (errno.EACCES, errno.EPERM):
        return WatchError(f"cannot watch {directory}: permission denied",
                          hint="run watch as a user that can read the project directory")
    return WatchError(f"cannot watch {directory}: {exc.strerror or exc}",
                      hint="check the project directory")


class ActuatorError(ReconcilerError):
    """Raised by an actuator; the apply engine decides between retry and failure."""


class TransientError(ActuatorError):
    """A failure that may go away: retried with backoff after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float = 1.0, hint: str = ""):
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class TerminalError(ActuatorError):
    """A failure that retrying will not fix; the node fails."""


class TransportError(TerminalError):
    """A transport was asked for a capability its kind of host does not have (for example
    an SSH channel on the local transport)."""


class InternalError(ReconcilerError):
    """A bug in reconciler: exit code 3; its traceback goes to a crash report file."""

    exit_code = 3


class StateRefused(InternalError, ValueError):
    """The state database refused a write (an append-only trigger, a constraint): a bug or a
    tampered database, never a user's mistake. Also a ValueError, as the store's own
    refusals (secrets, unknown runs) are."""

