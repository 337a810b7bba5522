"""``reconciler state rotate-key``: a new secret key, and the recorded markers re-hashed.

A keyed hash cannot be re-keyed without the clear value, so rotation is only as good as what
is known: the secrets the current config supplies. :func:`rotate` builds the desired state
under the old key, makes and keeps a new key, builds it again under the new key, and rewrites
every recorded spec that was in sync with the config (same spec hash) with its new markers and
hash. A record that was not in sync, or whose secrets the config no longer supplies, is left as
it is: it shows as changed once, as it would have anyway. Objects that carry their spec hash in
their own ownership marks and are compared by it (containers, compose services) are replaced
by the next apply when a secret of theirs was re-hashed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from reconciler.engine.project import Project
from reconciler.errors import UserError
from reconciler.state.keys import ENV_VAR, KEY_BYTES


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the records re-hashed and those left as they were."""

    rehashed: tuple[str, ...]
    kept: tuple[str, ...]


def rotate(project: Project) -> Rotation:
    """Rotate ``project``'s key; call holding the project's lease."""
    store = project.store
    if store.environ.get(ENV_VAR, "").strip():
        raise UserError(f"the secret key comes from ${ENV_VAR}, which is kept out of band",
                        hint=f"rotate it where it is kept (then every secret shows as changed "
                             f"once), or unset ${ENV_VAR} to rotate the key file")
    before, _ = project.desired()
    records = store.resources()
    store.set_secret_key(os.urandom(KEY_BYTES), replace=True)
    after, _ = project.desired()
    rehashed, kept = [], []
    run_id = store.begin_run("rotate-key", meta={})
    for address, record in records.items():
        old, new = before.resources.get(address), after.resources.get(address)
        if old is None or new is None or record.spec_hash != old.hash():
            kept.append(str(address))
            continue
        if new.hash() != record.spec_hash:
            store.record(address, spec=new.portable_spec(), spec_hash=new.hash(),
                         depends_on=record.depends_on, facts=record.facts,
                         status=record.status, run_id=run_id)
            rehashed.append(str(address))
    store.end_run(run_id, result="ok", summary={"rehashed": len(rehashed), "kept": len(kept)})
    return Rotation(tuple(rehashed), tuple(kept))
