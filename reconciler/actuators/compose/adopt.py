"""``reconciler import compose.X PROJECT``: take over a running Compose project's services.

``compose.X`` names the entry, so the import asks this hook once per configured service
(``compose.X.<service>``) with the project name. The name must be the entry's Compose project
(``project_name:``, else ``<project>[_<session>]_<entry>``); the service's containers are
found by Compose's own project label (ONE ``docker ps``) and must run and be made from the
entry's directory (docs/compose.md, "Ownership": a container made from another checkout's
files is refused). The spec recorded is the config's with what ``docker inspect`` shows of
the running container replacing ``definition.image`` and ``definition.command`` when they
differ; the facts are observe's. The next plan then shows no changes when Compose's config
hash matches the running one, else a replace with those field diffs. Nothing is started.
"""

from __future__ import annotations

import json
import os
from typing import Any

from reconciler.actuators.base import ActuatorContext, Adopted
from reconciler.actuators.compose.actuator import _Project, observed_from_rows
from reconciler.actuators.compose.cli import list_containers
from reconciler.actuators.compose.owner import entry_dir, foreign_origin
from reconciler.actuators.compose.spec import ComposeSpec
from reconciler.errors import ObjectGone, TerminalError, UserError
from reconciler.model.types import Resource


def adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for service ``resource`` of the running Compose project ``ident``."""
    spec = ComposeSpec.of(resource.spec)
    entry = resource.address.name[: -len(spec.service) - 1]
    if ident != spec.project:
        raise UserError(f"compose.{entry} runs as Compose project {spec.project}, not {ident}",
                        hint=f"set the entry's `project_name: {ident}` to import that project")
    rows = [r for r in list_containers(ctx.transport, ident) if r.service == spec.service]
    if not rows or any(r.state != "running" for r in rows):
        raise ObjectGone(f"service {spec.service} of Compose project {ident} is not running",
                         hint=f"`docker compose -p {ident} up -d` first, or let apply start it")
    home = entry_dir(spec.files)
    known = {home, os.path.realpath(home)} if home else set()
    owner = foreign_origin(rows, known)
    if owner is not None:
        raise UserError(f"service {spec.service} of Compose project {ident} was made from "
                        f"{owner['dir']}, not from {home}",
                        hint="import it from that checkout, or `apply --adopt` to take it over")
    view = _Project(ident, entry, list(spec.files), list(spec.profiles), spec.env_file,
                    {spec.service: resource})
    facts = {**observed_from_rows(resource.address, rows, view, None, adopted=False).facts,
             "imported": True}
    record = resource.portable_spec()
    record["definition"] = _running(dict(record.get("definition") or {}), ctx, rows[0].id)
    return Adopted(record, facts, f"{spec.service}: container {rows[0].name}")


def _running(definition: dict[str, Any], ctx: ActuatorContext,
             container: str) -> dict[str, Any]:
    """``definition`` with the image and command the container really runs."""
    done = ctx.transport.run(["docker", "inspect", "--format", "{{json .Config}}", container],
                             timeout=30.0)
    if not done.ok:
        raise TerminalError(f"docker inspect {container} failed: {done.stderr.strip()[-300:]}")
    config = json.loads(done.stdout or "{}") or {}
    image = str(config.get("Image") or "")
    if image and image != definition.get("image"):
        definition["image"] = image
    if "command" in definition:
        running = list(config.get("Cmd") or [])
        wanted = definition["command"]
        if (wanted.split() if isinstance(wanted, str) else list(wanted)) != running:
            definition["command"] = running
    return definition
