"""Who owns a Compose project's containers: this state, or another checkout (issue 28).

Compose writes no reconciler label, and adding one would take an override file that changes
every service's ``config-hash`` (docs/compose.md, "Ownership"). So ownership is read from the
labels Compose already writes: a container's **origin** is the directory it was made from
(``com.docker.compose.project.working_dir``, else the directory of its first config file).
A container is this state's when its origin is the directory of the entry's desired files or
of the files this state last applied it from (its record, which checkouts sharing one
PostgreSQL state share); any other origin is another checkout's (the ``owned_by`` fact, with
no state id: Compose cannot carry one). A container without an origin (a Compose too old to
write one) is adopted as before. Pure: no I/O; the caller adds resolved spellings of paths.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping, Sequence

from reconciler.actuators.compose.cli import PsRow

__all__ = ["entry_dir", "foreign_origin", "origin", "recorded_dirs"]


def origin(row: PsRow) -> str:
    """The directory ``row``'s container was made from ('' when Compose did not say)."""
    if row.working_dir:
        return posixpath.normpath(row.working_dir)
    first = row.config_files[0] if row.config_files else ""
    return posixpath.dirname(posixpath.normpath(first)) if first.startswith("/") else ""


def entry_dir(files: Sequence[str]) -> str | None:
    """Compose's project directory for ``files``: the directory of the first one."""
    first = files[0] if files else ""
    return posixpath.dirname(posixpath.normpath(first)) if first.startswith("/") else None


def recorded_dirs(facts: Mapping[str, object]) -> set[str]:
    """The origins a recorded service was applied from (its ``working_dir`` and files)."""
    found: set[str] = set()
    working_dir = facts.get("working_dir")
    if isinstance(working_dir, str) and working_dir:
        found.add(posixpath.normpath(working_dir))
    files = facts.get("files")
    if isinstance(files, list):
        first = entry_dir([str(f) for f in files])
        if first is not None:
            found.add(first)
    return found


def foreign_origin(rows: Iterable[PsRow], known: Collection[str],
                   spellings: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The ``owned_by`` fact (``{"state_id": "", "dir": origin}``) of the first container
    of ``rows`` made from a directory not in ``known``; None when all are ours.
    ``spellings`` maps an origin to another spelling of it (symlinks resolved)."""
    for row in rows:
        where = origin(row)
        if not where or where in known:
            continue
        if spellings is not None and spellings.get(where, where) in known:
            continue
        return {"state_id": "", "dir": where}
    return None
