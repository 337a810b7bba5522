"""``reconciler status``: desired x observed x one health probe per running resource.

Read-only: observes the world once (batched) and probes health in parallel, without the
lease. Rows are plain dicts so renderers (table, JSON) need no engine types.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from reconciler import actuators
from reconciler.engine.ports import primary_port
from reconciler.model.changes import Health, HealthStatus, Observed
from reconciler.workflows.status_swarm import add_tasks

if TYPE_CHECKING:
    from reconciler.engine.project import Project
    from reconciler.model.types import Resource


def collect(project: Project) -> list[dict[str, Any]]:
    desired, _ = project.desired()
    records = project.store.resources()
    held = project.store.holds()
    observed = project.observe(desired)

    def probe(resource: Resource) -> Health | None:
        seen = observed.get(resource.address)
        traits = actuators.kind(resource.kind)
        attached = traits is not None and traits.observed_only  # always probed: not ours
        if (resource.health is None and not attached) or seen is None or not seen.running:
            return None
        actuator = actuators.load(resource.kind)
        try:
            return actuator.health(resource, seen, project.context_for(resource.address))
        except Exception as exc:  # a probe that breaks is an unhealthy answer, not a crash
            return Health(HealthStatus.UNHEALTHY, str(exc))

    resources = desired.ordered()
    with ThreadPoolExecutor(max_workers=8) as pool:
        healths = list(pool.map(probe, resources))
    rows = [row(r, observed.get(r.address), h, r.address in records)
            for r, h in zip(resources, healths, strict=True)]
    for line, resource in zip(rows, resources, strict=True):
        record = records.get(resource.address)
        watch = record.facts.get("watch") if record is not None else None
        if isinstance(watch, dict) and watch.get("state") in ("crash-loop", "restarting"):
            line["watch"] = watch
            line["detail"] = watch_note(watch, time.time())
        if str(resource.address) in held:
            line["state"], line["held"] = "stopped", True
            line["detail"] = f"held by `reconciler stop` ({held[str(resource.address)]['who']})"
    add_tasks(rows, observed, [r.address for r in resources])  # swarm services
    for address, record in sorted(records.items()):
        if address not in desired.resources:
            rows.append({"address": str(address), "kind": address.kind, "name": address.name,
                         "state": "orphan", "pid": record.facts.get("pid"), "port": None,
                         "health": None, "detail": "no longer in the configuration",
                         "since": None})
    return [project.events.redactor.scrub(r) for r in rows]  # a probe's message may hold one


def row(resource: Resource, seen: Observed | None, health: Health | None,
        recorded: bool) -> dict[str, object]:
    state = seen.status.value if seen is not None else ("missing" if recorded else "absent")
    detail = seen.reason if seen is not None else ""
    if seen is not None and seen.running and seen.spec_hash not in (None, resource.hash()):
        detail = "spec changed: plan shows a replace"
    started = seen.facts.get("started_at") if seen is not None else None
    return {"address": str(resource.address), "kind": resource.kind, "name": resource.name,
            "state": state, "pid": seen.facts.get("pid") if seen is not None else None,
            "port": primary_port(resource.spec),
            "health": health.status.value if health is not None
            else ("-" if resource.health is None else None),
            "detail": detail or (health.detail if health is not None and
                                 health.status is not HealthStatus.HEALTHY else ""),
            "since": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
            if isinstance(started, int | float) else None}


def watch_note(watch: dict[str, Any], now: float) -> str:
    """watch's restart note on a resource: its restarts and, while its backoff still runs,
    the seconds left (``retry_in`` was counted from ``at``, when watch recorded it)."""
    note = f"{watch['state']} (watch): {watch.get('restarts', 0)} restart(s)"
    retry_in, at = watch.get("retry_in"), watch.get("at")
    if not isinstance(retry_in, int | float) or not retry_in:
        return note
    left = retry_in - (now - at) if isinstance(at, int | float) else retry_in
    return note + (f", next in {round(left, 1):g}s" if left > 0 else "")
