"""The regrouping of scanned processes by the state's recorded identities
(reconciler/actuators/process/claim.py): a process ``state mv`` renamed is claimed, with
everything it forked, for its new address; the others stay where their marks put them."""

from __future__ import annotations

from reconciler.actuators.process.claim import claim_recorded
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
