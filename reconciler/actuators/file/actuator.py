"""The file actuator (kind ``file``): one managed file per resource, on any host.

Observe runs ONE shell command per host that prints, for every desired or recorded path, its
sha256, mode and owner (or that it is absent). A file is ours when state recorded it (the
digest reconciler wrote is kept in its facts as ``written``); after the state database is lost
a file whose content, mode and owner are exactly the desired ones is adopted, and any other
file already at the path is never overwritten. Drift: the content no longer matches what was
written (edited by hand), or the ``source:`` file changed, or mode / owner were changed; each
plans an in-place UPDATE that rewrites the file. Writes go through the transport's atomic
``write_file`` (temporary file + rename); destroy removes the file.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.file.spec import FileSpec, digest
from reconciler.errors import TerminalError, TransientError
from reconciler.model.changes import Action, Change, Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, Resource
from reconciler.transports.base import Transport

SECTION = "@@reconciler-file"


class FileActuator:
    kind = "file"

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        specs = {r.address: FileSpec.of(r.spec) for r in desired if r.kind == self.kind}
        paths = {a: s.path for a, s in specs.items()}
        for address, facts in recorded.items():
            if address.kind == self.kind and facts.get("path"):
                paths.setdefault(address, str(facts["path"]))
        targets = sorted((a, p) for a, p in paths.items() if p.startswith("/"))
        found = stat_files(ctx.transport, [p for _, p in targets])
        result: dict[Address, Observed] = {}
        for index, (address, path) in enumerate(targets):
            seen = found.get(index)
            if seen is None:
                continue  # absent: the diff creates it (or forgets it)
            observed = judge(address, path, seen, specs.get(address),
                             recorded.get(address) or {}, desired_hash=_hash(desired, address))
            if observed is not None:
                result[address] = observed
        return result

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        old = str((change.before or {}).get("path") or "")
        if change.action is Action.DELETE or resource is None:
            if old.startswith("/"):
                _remove(ctx.transport, old)
            return None
        spec = FileSpec.of(resource.spec)
        data = spec.data()
        if change.before is None:  # never written by us: refuse to overwrite a foreign file
            now = stat_files(ctx.transport, [spec.path]).get(0)
            if now is not None and now["sha256"] != digest(data):
                raise TerminalError(f"{spec.path} exists on {ctx.transport.host} and was not "
                                    "written by reconciler; it is left alone",
                                    hint="remove or move that file, then apply again")
        if old and old != spec.path:
            _remove(ctx.transport, old)
        try:
            ctx.transport.write_file(spec.path, data, spec.mode_bits)
        except OSError as exc:
            raise TerminalError(f"cannot write {spec.path}: {exc.strerror or exc}",
                                hint="check the permissions of its directory") from None
        script = f"chmod {spec.mode} {shlex.quote(spec.path)}"
        if spec.owner:
            script += f" && chown {shlex.quote(spec.owner)} {shlex.quote(spec.path)}"
        done = ctx.transport.run(["sh", "-c", script], timeout=30)
        if not done.ok:
            raise TerminalError(f"cannot set mode/owner of {spec.path}: "
                                f"{done.stderr.strip()[-300:]}",
                                hint="is the owner a user (and group) of that host?")
        seen = stat_files(ctx.transport, [spec.path]).get(0)
        if seen is None:
            raise TerminalError(f"{spec.path} is missing right after it was written")
        return Observed(resource.address, Status.RUNNING, resource.hash(),
                        facts=_facts(spec.path, seen, written=digest(data)))

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        if observed.running:
            return Health(HealthStatus.HEALTHY, str(observed.facts.get("sha256", "")))
        return Health(HealthStatus.UNHEALTHY, observed.reason or "missing")


def _hash(desired: Sequence[Resource], address: Address) -> str | None:
    for resource in desired:
        if resource.address == address:
            return resource.hash()
    return None


def _facts(path: str, seen: Mapping[str, str], *, written: str) -> dict[str, object]:
    return {"path": path, "sha256": seen["sha256"], "mode": seen["mode"],
            "owner": seen["owner"], "written": written}


def _remove(transport: Transport, path: str) -> None:
    done = transport.run(["rm", "-f", "--", path], timeout=30)
    if not done.ok:
        raise TerminalError(f"cannot remove {path}: {done.stderr.strip()[-300:]}",
                            hint="check the permissions of its directory")


def owner_matches(wanted: str | None, actual: str) -> bool:
    """``user`` or ``user:group`` against stat's ``user:group``; no owner wanted: any."""
    if not wanted:
        return True
    user, _, group = wanted.partition(":")
    have_user, _, have_group = actual.partition(":")
    return user == have_user and (not group or group == have_group)


def judge(address: Address, path: str, seen: Mapping[str, str], spec: FileSpec | None,
          recorded: Mapping[str, Any], *, desired_hash: str | None) -> Observed | None:
    """What one present file is: ours and as written, drifted, adoptable, or foreign (None)."""
    facts = _facts(path, seen, written=str(recorded.get("written") or seen["sha256"]))
    mode_ok = spec is None or int(seen["mode"], 8) == spec.mode_bits
    owner_ok = spec is None or owner_matches(spec.owner, seen["owner"])
    if not recorded:  # state lost: adopt only a file that is exactly the desired one
        if spec is None or spec.wanted() != seen["sha256"] or not (mode_ok and owner_ok):
            return None
        return Observed(address, Status.RUNNING, desired_hash, facts=facts, adopted=True)
    spec_hash = recorded.get("spec_hash") if isinstance(recorded.get("spec_hash"), str) else None
    reason = ""
    if seen["sha256"] != recorded.get("written"):
        reason = "content edited by hand"
    elif spec is not None and spec.source is not None and spec.wanted() != seen["sha256"]:
        reason = f"source {spec.source} changed"
    elif not mode_ok:
        reason = f"mode changed to {seen['mode']}"
    elif not owner_ok:
        reason = f"owner changed to {seen['owner']}"
    status = Status.EXITED if reason else Status.RUNNING
    return Observed(address, status, spec_hash, facts=facts, reason=reason)


def stat_files(transport: Transport, paths: Sequence[str]) -> dict[int, dict[str, str]]:
    """{index: {sha256, mode, owner}} of the regular files among ``paths`` (ONE command)."""
    if not paths:
        return {}
    lines = []
    for index, path in enumerate(paths):
        p = shlex.quote(path)
        lines.append(f"if [ -f {p} ]; then printf '{SECTION} {index} %s %s ' "
                     f"\"$(stat -c '%a %U:%G' {p})\"; sha256sum < {p}; fi")
    done = transport.run(["sh", "-c", "\n".join(lines) + "\ntrue\n"], timeout=60)
    if not done.ok:
        raise TransientError(f"cannot read managed files on {transport.host}: "
                             f"{done.stderr.strip()[-300:]}")
    return parse_stat(done.stdout)


def parse_stat(stdout: str) -> dict[int, dict[str, str]]:
    """The report of :func:`stat_files`: ``@@reconciler-file <i> <mode> <u:g> <hex> -``."""
    found: dict[int, dict[str, str]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == SECTION and parts[1].isdigit():
            found[int(parts[1])] = {"mode": parts[2], "owner": parts[3],
                                    "sha256": "sha256:" + parts[4]}
    return found
