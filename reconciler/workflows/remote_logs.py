"""The logs of processes on SSH hosts: the last lines of each remote process's log file,
fetched through its host's transport (``reconciler logs`` and the dashboard both use it), and
the dashboard's follow of them (:class:`RemoteFollow`: each poll is one command per log, the
bytes past the last size seen, a shrunk file read from the start as rotated)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.engine.project import Project
    from reconciler.model.types import Address


def remote_records(project: Project, names: list[str]) -> list[Address]:
    """The remote processes and tasks in the state (``names``: by name or ``name@host``)."""
    from reconciler.model.types import LOCAL_HOST

    return sorted(a for a in project.store.resources()
                  if a.host != LOCAL_HOST and a.kind in ("process", "task")
                  and (not names or a.name in names or f"{a.name}@{a.host}" in names))


def _path(project: Project, address: Address) -> str:
    from reconciler.transports.procs_remote import log_path

    scope = f"{project.project_name}_{project.session}" if project.session \
        else project.project_name
    return log_path(scope, address.name).replace("~/", "", 1)


class RemoteFollow:
    """New lines of remote logs since the last poll, through the project's pooled hosts."""

    def __init__(self, project: Project, addresses: list[Address]):
        self.project, self.addresses = project, addresses
        self.offsets: dict[Address, int | None] = dict.fromkeys(addresses)

    def poll(self) -> list[tuple[str, str]]:
        """(``name@host``, line) for each new line; the first poll only takes the sizes."""
        shown: list[tuple[str, str]] = []
        for address in self.addresses:
            offset, path = self.offsets[address], shlex.quote(_path(self.project, address))
            script = (f"s=$(wc -c < {path} 2>/dev/null) || exit 0\necho \"$s\"\n"
                      f"o={offset if offset is not None else -1}\n"
                      '[ "$o" -ge 0 ] || exit 0\n[ "$s" -lt "$o" ] && o=0\n'
                      f'[ "$s" -gt "$o" ] && tail -c +$((o + 1)) {path} | head -c $((s - o))\n'
                      "true\n")
            try:
                result = self.project.transports.get(address.host).run_script(script,
                                                                                timeout=30)
            except ReconcilerError:  # an unreachable host: try again on the next poll
                continue
            size, _, text = result.stdout.partition("\n")
            if not size.strip().isdigit():
                continue
            self.offsets[address] = int(size)
            shown += [(f"{address.name}@{address.host}", line) for line in text.splitlines()]
        return shown

    def close(self) -> None:
        self.project.transports.close()


def remote_logs(project: Project, names: list[str], lines: int) -> tuple[list[str], list[str]]:
    """``reconciler logs``: the last ``lines`` of each remote process's log on its host
    (prefixed ``name@host |``), and the requested names left for the local logs."""
    records = remote_records(project, names)
    if not records:
        return [], names
    project.desired(allocate=False)
    shown: list[str] = []
    try:
        for address in records:
            path = _path(project, address)
            try:
                result = project.transports.get(address.host).run(
                    ["tail", "-n", str(max(0, lines)), path], timeout=30)
                text = result.stdout if result.ok else f"(no log: {result.stderr.strip()})"
            except ReconcilerError as exc:  # an unreachable host must not hide the others
                text = f"(cannot fetch: {exc.render_short()})"
            shown += [f"{address.name}@{address.host} | {line}" for line in text.splitlines()]
    finally:
        project.transports.close()
    remote = {a.name for a in records} | {f"{a.name}@{a.host}" for a in records}
    return shown, [n for n in names if n not in remote]
