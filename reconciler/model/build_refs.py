"""Which services are referenced by ``${name.port}`` / ``${name.url}`` (pure, text only).

A docker service whose ``ports:`` publish no fixed host port (``ports: ["5432"]``) has no
port to put in a reference; the service harness takes it from the mapping. So model.build
gives such a container, when something references its port, an allocated loopback host
port for its first mapping (as ``port: auto`` would), and ``${postgres.port}`` resolves.
Containers nobody references keep Docker's own choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reconciler.actuators.container.spec import spec_of as container_spec
from reconciler.config.raw import RawDocument
from reconciler.model.build_draft import Draft

_REFERENCE = re.compile(r"\$\{([A-Za-z0-9_][A-Za-z0-9_-]*)\.(?:port|url)\}")


def port_references(docs: Sequence[RawDocument]) -> set[str]:
    """The names that some document references with ``${name.port}`` or ``${name.url}``."""
    return {m.group(1) for doc in docs for m in _REFERENCE.finditer(doc.text)}


def publish_referenced(drafts: Iterable[Draft], referenced: set[str]) -> None:
    """Ask a port for each referenced container that publishes no fixed host port."""
    for draft in drafts:
        mappings = container_spec(draft.spec).get("ports") if draft.kind == "container" else None
        if (draft.name in referenced and mappings and draft.port_request is None
                and not any(isinstance(m.get("host"), int) for m in mappings)):
            draft.port_request = "auto"
