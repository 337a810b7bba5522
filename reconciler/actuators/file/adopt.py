"""``reconciler import file.X PATH``: take over a file that exists at the configured path.

One stat (the observe report: sha256, mode, owner) and, only when its content is not the
configured one, one read of the file. The spec recorded is the config's with the fields the
file shows replaced by what it really holds: ``content`` (its text; a file that is not UTF-8
text is written as a marker, never in full), ``mode`` and ``owner`` (when one is configured).
The facts are the ones apply records, with the file's own digest as ``written``, so the next
plan shows no changes for a file as configured and an in-place UPDATE (with the field diffs)
otherwise. Never writes anything.
"""

from __future__ import annotations

from reconciler.actuators.base import ActuatorContext, Adopted
from reconciler.actuators.file.actuator import owner_matches, stat_files
from reconciler.actuators.file.spec import FileSpec
from reconciler.errors import ObjectGone, UserError
from reconciler.model.types import Resource

NOT_TEXT = "(binary: the file at {path} holds other bytes, {digest})"


def adopted(resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
    """What to record for the file at ``ident`` (the configured path): the kind's AdoptHook."""
    spec = FileSpec.of(resource.spec)
    if ident != spec.path:
        raise UserError(f"{resource.address} is configured with path {spec.path}, not {ident}",
                        hint="set the entry's `path:` to the file's path")
    seen = stat_files(ctx.transport, [ident]).get(0)
    if seen is None:
        raise ObjectGone(f"no file is at {ident} on {ctx.transport.host}",
                         hint="let `apply` create it")
    record = resource.portable_spec()
    if seen["sha256"] != spec.wanted():
        record["content"] = _text(ctx, ident, seen["sha256"])
        record["source"] = None
    if int(seen["mode"], 8) != spec.mode_bits:
        record["mode"] = seen["mode"].rjust(4, "0")
    if not owner_matches(spec.owner, seen["owner"]):
        record["owner"] = seen["owner"]
    facts: dict[str, object] = {"path": ident, "sha256": seen["sha256"], "mode": seen["mode"],
                                "owner": seen["owner"], "written": seen["sha256"],
                                "imported": True}
    return Adopted(record, facts, f"file {ident}")


def _text(ctx: ActuatorContext, path: str, digest: str) -> str:
    data = ctx.transport.read_file(path)
    if data is None:
        raise ObjectGone(f"no file is at {path} on {ctx.transport.host}",
                         hint="let `apply` create it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_TEXT.format(path=path, digest=digest)
