"""The Actuator protocol: WHAT is managed, one implementation per resource kind.

An actuator observes every object of its kind on one transport in one batched call,
applies one Change at a time, and probes health. It never imports plan, apply or cli.
Diffing is generic (reconciler.engine.diff) over ``Resource.spec`` and ``Observed``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler.events import Hook, null_hook
from reconciler.model.changes import Change, Health, Observed
from reconciler.model.types import Address, Resource
from reconciler.transports.base import Transport
from reconciler.transports.pidwatch import ExitWatch


@dataclass(frozen=True)
class ActuatorContext:
    """What an actuator needs besides the change: who owns objects, where to keep files."""

    project: str           # project name (RECONCILER_PROJECT / io.reconciler.project)
    scope: str             # project or project_session: the ownership mark
    state_dir: Path        # .reconciler/ of the project (logs/, run/ live below it)
    transport: Transport
    events: Hook = null_hook
    session: str | None = None
    state_id: str | None = None  # the state's id, written into every owner mark
    project_dir: str | None = None   # relative cwd / bind-mount paths start here
    docker_url: str | None = None    # this machine's engine (None: DOCKER_HOST or the socket)
    docker_subnet: str | None = None  # the subnet of the project's Docker network (tests)
    remove_volumes: bool = False     # `destroy --volumes`: a container's volumes go too
    stop_timeout: float | None = None  # `reconciler stop --timeout`: overrides the spec's
    exit_watch: ExitWatch | None = None  # an apply's watch on the processes it starts

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"


def state_dir_mark(ctx: ActuatorContext) -> str:
    """The state's local directory as owner marks carry it (``RECONCILER_STATE_DIR``)."""
    path = ctx.state_dir
    return _resolved(path) if path.is_absolute() else str(path.resolve())


@functools.lru_cache(maxsize=16)
def _resolved(path: Path) -> str:
    # resolved once per directory (a start marks every process with it: a realpath each)
    return str(path.resolve())



def docker_marks(ctx: ActuatorContext, resource: Resource) -> dict[str, str]:
    """The owner labels of a Docker object made for ``resource`` (an image, a swarm service
    and its containers): project, scope, address, spec hash, state directory and id. (Imported
    here: validating or planning local processes never loads reconciler.transports.docker.)"""
    from reconciler.transports.docker.labels import owner_labels

    return owner_labels(project=ctx.project, scope=ctx.scope, address=str(resource.address),
                        spec_hash=resource.hash(), state_dir=state_dir_mark(ctx),
                        state_id=ctx.state_id)

def foreign_owner(state_id: str | None, directory: str | None,
                  ctx: ActuatorContext) -> dict[str, str] | None:
    """``{"state_id", "dir"}`` of the other state whose id marks an object (its
    ``owned_by`` fact); None when it is ours, carries no state id (made by an older
    reconciler: adopted as before), or was made from this very state directory (an earlier
    state here, lost or deleted: re-adopted as before). A state not made yet (``ctx`` knows
    no id: a fresh checkout or sync agent) owns nothing another directory's state marks."""
    if not state_id or state_id == ctx.state_id:
        return None
    if directory and directory == state_dir_mark(ctx):
        return None
    return {"state_id": state_id, "dir": directory or ""}


def readoptable(state_id: str | None, directory: str | None, ctx: ActuatorContext) -> bool:
    """Whether an object's port may be re-adopted after state loss (``owned_ports``): it
    carries no state id (an older reconciler), or this state's id, or was made from this very
    state directory (the same rule as :func:`foreign_owner`)."""
    if not state_id or (directory and directory == state_dir_mark(ctx)):
        return True
    return bool(ctx.state_id) and state_id == ctx.state_id


@dataclass(frozen=True, slots=True)
class Adopted:
    """What an adopt hook found: the ``spec`` to record (the config's, with the fields the
    world shows replaced by their real values), the ``facts`` apply would have recorded, and
    a short ``label`` of the object for messages (``pid 4242``)."""

    spec: dict[str, object]
    facts: dict[str, object]
    label: str


class AdoptHook(Protocol):
    """A kind's import: what the running object ``ident`` is, as ``resource`` would record it.

    Read-only (never starts, stops or signals anything). Raises UserError when the object
    cannot be imported, :class:`~reconciler.errors.ObjectGone` when it does not run."""

    def __call__(self, resource: Resource, ident: str, ctx: ActuatorContext) -> Adopted:
        ...


@dataclass(frozen=True, slots=True)
class Adoption:
    """A kind's import capability: ``hook`` is the ``"module:function"`` of its
    :class:`AdoptHook` (imported on first use), ``key`` the fact that names the object (one
    object is recorded under one address at most), ``takes`` what ID the import takes (for
    help and hints: ``a pid``)."""

    hook: str
    key: str
    takes: str


@dataclass(frozen=True, slots=True)
class Kind:
    """What the engine knows of a resource kind without importing its actuator module.

    Each kind package defines one as ``KIND`` in its ``__init__.py`` (kept light: no SDK
    imports) and :mod:`reconciler.actuators.registry` lists the package. ``actuator`` is the
    ``"module:Class"`` imported on first use. The flags steer the generic diff:

    - ``one_shot``: a run to completion (a task): done once its spec's run has completed;
    - ``in_place``: the identity fields of a kind converged live (``wg syncconf``): a change
      of any other field, or drift, is an in-place UPDATE; None for replace-on-change kinds;
    - ``keeps_stopped``: a stopped object still exists in the world (a container), so
      bringing it back is a REPLACE rather than a CREATE;
    - ``observed_only``: attached, not managed (kind ``attached``): never created, replaced
      or deleted, so every change of it is a no-op that says so (health still gates it);
    - ``batch_observe``: observe starts with one remote command (a script) and reads nothing
      else first, so on an SSH host the engine sends that command together with the other
      such kinds' in ONE round trip (:mod:`reconciler.transports.batch`).

    ``schemas`` names (``"module:Class"``, never imported at run time) the pydantic model of
    each services.yaml ``type:`` the kind declares (a ``KindTarget`` subclass in the package's
    ``schema.py``); ``scripts/gen_schemas.py`` generates the services schema and the per-type
    key rules from them.
    """

    name: str
    actuator: str
    one_shot: bool = False
    in_place: frozenset[str] | None = None
    keeps_stopped: bool = False
    observed_only: bool = False
    batch_observe: bool = False
    schemas: tuple[str, ...] = ()
    builder: str | None = None
    types: tuple[str, ...] = ()
    provides: str | None = None
    consumes: str | None = None
    facts: str | None = None
    adopt: Adoption | None = None


class Actuator(Protocol):
    kind: str

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        """Batched: one look at the world for every object of this kind on ctx.transport.

        ``recorded`` maps addresses to the facts state recorded at the last apply
        (pid, start_time, ...). Returns an Observed for every desired or recorded address
        that the world knows of, plus objects found by their ownership marks (adopted=True).
        Addresses absent from the result do not exist in the world. Read-only.
        """
        ...

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        """Carry out ``change`` (CREATE/UPDATE/REPLACE/DELETE); return what now exists
        (None after a delete). ``resource`` is the desired resource with clear secrets
        (None for DELETE). Raises TransientError / TerminalError on failure. How a REPLACE
        is done is the kind's own: most stop the old object before starting the new one
        (ports and names would clash)."""
        ...

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        """Probe once (no waiting); the apply engine owns retries, interval and timeouts."""
        ...


class PortOwner(Protocol):
    """The optional hook of a kind whose objects publish an automatic port (``port: auto``).

    After the state (and its recorded allocations) is lost, the engine asks the kinds of the
    addresses that would get a fresh port, once per (kind, host), for the ports their owner
    marks carry (reconciler/engine/ports.py :func:`readopt`), so a running object keeps its
    published port instead of being replaced onto a new one. Read-only; only objects
    :func:`readoptable` by ``ctx``'s state count.
    """

    def owned_ports(self, ctx: ActuatorContext) -> dict[str, int]:
        """``{address: port}`` of the objects of ``ctx.scope`` on ``ctx.transport``."""
        ...
