"""The logs of processes on SSH hosts: the last lines of each remote process's log file,
fetched through its host's transport (``reconciler logs`` and the dashboard both use it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.engine.project import Project


def remote_logs(project: Project, names: list[str], lines: int) -> tuple[list[str], list[str]]:
    """``reconciler logs``: the last ``lines`` of each remote process's log on its host
    (prefixed ``name@host |``), and the requested names left for the local logs."""
    from reconciler.errors import ReconcilerError
    from reconciler.model.types import LOCAL_HOST
    from reconciler.transports.procs_remote import log_path

    records = [a for a in project.store.resources()
               if a.host != LOCAL_HOST and a.kind in ("process", "task")
               and (not names or a.name in names)]
    if not records:
        return [], names
    project.desired(allocate=False)
    scope = f"{project.project_name}_{project.session}" if project.session \
        else project.project_name
    shown: list[str] = []
    try:
        for address in sorted(records):
            path = log_path(scope, address.name).replace("~/", "", 1)
            try:
                result = project.transports.get(address.host).run(
                    ["tail", "-n", str(max(0, lines)), path], timeout=30)
                text = result.stdout if result.ok else f"(no log: {result.stderr.strip()})"
            except ReconcilerError as exc:  # an unreachable host must not hide the others
                text = f"(cannot fetch: {exc.render_short()})"
            shown += [f"{address.name}@{address.host} | {line}" for line in text.splitlines()]
    finally:
        project.transports.close()
    remote = {a.name for a in records}
    return shown, [n for n in names if n not in remote]
