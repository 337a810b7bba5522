"""The overlay networks swarm services join: created when missing, owned by the scope.

A name under a cluster service's ``networks:`` that the manager does not know becomes an
attachable overlay network labelled with the owner scope (:func:`ensure`, called with
:data:`LOCK` held until the service that joins it exists, so two services never create the
same name twice and a prune never takes a network a service is about to join); a network that
already exists is joined as it is and never changed. :func:`prune` (on a service's removal)
removes the scope's own networks that no service uses any more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.actuators.swarm_service import rollout

SCOPE_LABEL = "io.reconciler.scope"
LOCK = threading.Lock()


def ensure(client: Any, url: str | None, names: Iterable[str],
           marks: Mapping[str, str]) -> None:
    """Create each missing network as an overlay owned by ``marks``' scope (hold LOCK)."""
    for name in names:
        with rollout.engine_errors(url, f"looking up network {name}"):
            found = [n for n in client.networks(names=[name]) if n.get("Name") == name]
        if found:
            continue
        with rollout.engine_errors(url, f"creating overlay network {name}"):
            client.create_network(name, driver="overlay", attachable=True,
                                  labels={SCOPE_LABEL: marks[SCOPE_LABEL]})


def prune(client: Any, url: str | None, scope: str) -> None:
    """Remove the scope's networks no service of the swarm is attached to any more."""
    with LOCK:
        with rollout.engine_errors(url, "listing networks"):
            owned = client.networks(filters={"label": f"{SCOPE_LABEL}={scope}"})
            services = client.services()
        used = {str(a.get("Target")) for s in services
                for a in ((s.get("Spec") or {}).get("TaskTemplate") or {}).get("Networks") or []}
        for network in owned:
            if str(network.get("Id")) not in used and network.get("Name") not in used:
                with rollout.engine_errors(url, f"removing network {network.get('Name')}"):
                    client.remove_network(network["Id"])
