"""The regrouping of scanned processes by the state's recorded identities
(reconciler/actuators/process/claim.py): a process ``state mv`` renamed is claimed, with
everything it forked, for its new address; the others stay where their marks put them."""

from __future__ import annotations

from reconciler.actuators.process.claim import claim_recorded, imported_pids
from reconciler.model.types import Address
from reconciler.transports.procfs import ADDRESS_VAR, ProcInfo, StatFields

API, BACKEND, WORKER = (Address.parse(a) for a in ("process.api", "process.backend",
                                                     "process.worker"))


def _proc(pid: int, session: int, address: Address, start: int = 100) -> ProcInfo:
    return ProcInfo(pid, StatFields("S", 1, session, session, start),
                    {ADDRESS_VAR: str(address)})


def test_a_moved_session_is_claimed_by_its_new_address() -> None:
    leader, child, other = _proc(10, 10, API), _proc(11, 10, API), _proc(20, 20, WORKER)
    found = {API: [leader, child], WORKER: [other]}
    claim_recorded(found, {BACKEND: {"pid": 10, "start_time": 100},
                           WORKER: {"pid": 20, "start_time": 100}}, local=False)
    assert found == {BACKEND: [leader, child], WORKER: [other]}  # no orphan under process.api


def test_a_reused_pid_is_not_claimed() -> None:
    leader = _proc(10, 10, API, start=555)  # same pid, another start time: not the recorded one
    found = {API: [leader]}
    claim_recorded(found, {BACKEND: {"pid": 10, "start_time": 100}}, local=False)
    assert found == {API: [leader]}


def test_an_imported_remote_process_is_found_by_the_scans_looked_up_pid() -> None:
    stats = {30: StatFields("S", 1, 30, 30, 700), 40: StatFields("S", 1, 40, 40, 999)}
    found: dict[Address, list[ProcInfo]] = {}
    recorded = {API: {"pid": 30, "start_time": 700, "imported": True, "spec_hash": "h",
                      "port": 8080},
                WORKER: {"pid": 40, "start_time": 100, "imported": True}}  # pid reused
    claim_recorded(found, recorded, local=False, stats=stats)
    assert list(found) == [API]
    assert (found[API][0].pid, found[API][0].marks) == (30, {"PORT": "8080",
                                                             "RECONCILER_SPEC_HASH": "h",
                                                             "imported": "1"})
    assert imported_pids(recorded) == [30, 40]
