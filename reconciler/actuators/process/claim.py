"""Which address a scanned process belongs to when its marks and the state disagree.

Observe groups processes by their ``RECONCILER_ADDRESS`` mark; the state's recorded facts
(pid + start time) win over it:

- a process ``state mv`` renamed still carries its old address in its environment (a
  running process's environment cannot change): its session (the leader we recorded and
  every process it forked, all marked with the old address) is claimed for the address
  whose record names the leader, so it is observed there and not as an orphan of the old one;
- a process ``reconciler import`` adopted by pid (its record's facts say ``imported``)
  carries no marks at all, so the scan of marked processes does not see it: it is looked up
  by its recorded pid and start time (here in /proc, on a host by the remote scan) and
  observed with the recorded spec hash (import recorded the spec the process really runs),
  so diff compares that spec with the config. Any other record's pid counts only with
  our marks (an unmarked process with that pid is not ours).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model.types import Address
from reconciler.transports import procfs as proc_scan


def imported_pids(recorded: Mapping[Address, Mapping[str, object]]) -> list[int]:
    """The pids of the records ``import`` made (what a remote scan looks up by pid)."""
    return sorted({pid for rec in recorded.values() if rec.get("imported") is True
                   and isinstance(pid := rec.get("pid"), int)})


def claim_recorded(found: dict[Address, list[proc_scan.ProcInfo]],
                   recorded: Mapping[Address, Mapping[str, object]], *, local: bool,
                   stats: Mapping[int, proc_scan.StatFields] | None = None) -> None:
    """Regroup ``found`` (address -> marked processes) in place by the recorded identities;
    imported processes are read from /proc here (``local``) or from ``stats`` (a remote
    scan's looked-up pids)."""
    owners = {(rec.get("pid"), rec.get("start_time")): address
              for address, rec in recorded.items() if rec.get("pid") is not None}
    for address, infos in list(found.items()):
        for info in [i for i in infos if i.is_leader]:
            owner = owners.get((info.pid, info.stat.starttime))
            if owner is None or owner == address:
                continue
            moved = [i for i in infos if i.stat.session == info.pid]
            infos[:] = [i for i in infos if i.stat.session != info.pid]
            found.setdefault(owner, []).extend(moved)
        if not infos:
            del found[address]
    if not local and stats is None:
        return
    for address, rec in recorded.items():
        pid, start = rec.get("pid"), rec.get("start_time")
        if rec.get("imported") is not True or not isinstance(pid, int) \
                or any(i.pid == pid for i in found.get(address, ())):
            continue
        stat = proc_scan.read_stat(pid) if local else (stats or {}).get(pid)
        if stat is None or stat.starttime != start or stat.state in ("Z", "X"):
            continue
        port, recorded_hash = rec.get("port"), rec.get("spec_hash")
        marks = {"PORT": str(port)} if isinstance(port, int) else {}
        marks[proc_scan.IMPORTED] = "1"
        if isinstance(recorded_hash, str):  # what import recorded it runs (no mark says)
            marks[proc_scan.HASH_VAR] = recorded_hash
        found.setdefault(address, []).append(proc_scan.ProcInfo(pid, stat, marks))
