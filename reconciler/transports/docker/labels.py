"""The owner labels reconciler puts on the Docker objects it makes (images, swarm services and
their containers): the label names, and :func:`owner_labels`, the one place that builds the
set of them (project, scope, address, spec hash, state directory and, when known, state id).
"""

from __future__ import annotations

LABEL_PROJECT = "io.reconciler.project"
LABEL_SCOPE = "io.reconciler.scope"
LABEL_ADDRESS = "io.reconciler.address"
LABEL_SPEC_HASH = "io.reconciler.spec-hash"
LABEL_STATE_ID = "io.reconciler.state-id"
LABEL_STATE_DIR = "io.reconciler.state-dir"


def owner_labels(*, project: str, scope: str, address: str, spec_hash: str, state_dir: str,
                 state_id: str | None) -> dict[str, str]:
    """The owner labels of one object; the state id only when the state has one."""
    out = {LABEL_PROJECT: project, LABEL_SCOPE: scope, LABEL_ADDRESS: address,
           LABEL_SPEC_HASH: spec_hash, LABEL_STATE_DIR: state_dir}
    if state_id:
        out[LABEL_STATE_ID] = state_id
    return out
