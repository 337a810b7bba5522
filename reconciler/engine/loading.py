"""Load -> check -> build, once: :func:`load_and_build`, the one way a project's config
becomes a :class:`~reconciler.model.types.DesiredState`.

``reconciler validate`` (cli/validate_cmd.py), the pre-commit hook (workflows/hook.py) and
:meth:`reconciler.engine.project.Project.desired` (which the watcher, the sync agent and every
planning command go through) all call it; they differ only in what they pass: how documents
are loaded and checked (``documents``: the Project's caches schema results in its state dir
and adds ``--with`` stacks), the secret key, the session, and the port allocator (made only
once the documents are valid, see reconciler/engine/ports.py).

The build itself is pure; this module supplies the real host (:class:`LocalHost`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config import RawDocument, interpolation_env, load
from reconciler.errors import Diagnostic, Severity
from reconciler.model.secrets import DEFAULT_KEY
from reconciler.model.sops_refs import clear_secret_problems

if TYPE_CHECKING:
    from reconciler.model.build import PortAllocator
    from reconciler.model.types import DesiredState

__all__ = ["Loaded", "has_errors", "load_and_build"]

Documents = Callable[[], tuple[list[RawDocument], list[Diagnostic]]]


def has_errors(diagnostics: Sequence[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


@dataclass
class Loaded:
    """What loading and building a project gave: ``desired`` is None when the documents
    did not pass their checks (the build was not run)."""

    docs: list[RawDocument]
    env: dict[str, str]
    desired: DesiredState | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> bool:
        return has_errors(self.diagnostics)


def checked_documents(directory: Path) -> tuple[list[RawDocument], list[Diagnostic]]:
    """The documents of ``directory`` and their load and schema problems."""
    from reconciler.validate.checker import check

    docs, diagnostics = load(directory)
    return docs, diagnostics + check(docs)


def load_and_build(directory: Path, *, environ: Mapping[str, str], session: str | None = None,
                   strict: bool = False, secret_key: bytes = DEFAULT_KEY,
                   root: str | None = None, documents: Documents | None = None,
                   ports: Callable[[list[RawDocument]], PortAllocator | None] | None = None,
                   decrypt: bool = False) -> Loaded:
    """Load and check the documents (``documents``, default :func:`checked_documents`), then,
    when they have no error, build them with the real host; every diagnostic, in the order
    found (the build's sorted among themselves). ``decrypt`` lets the build decrypt SOPS
    references (planning commands); without it they are checked by key name only."""
    from reconciler.engine.local_host import LocalHost
    from reconciler.model.build import build  # at call time: the fast paths stay light

    docs, diagnostics = documents() if documents is not None else checked_documents(directory)
    env = interpolation_env(docs, environ)
    diagnostics = diagnostics + clear_secret_problems(docs)
    if has_errors(diagnostics):
        return Loaded(docs, env, None, diagnostics)
    desired, more = build(docs, env=env, session=session, strict=strict,
                          secret_key=secret_key, host=LocalHost(env, decrypt=decrypt), root=root,
                          port_allocator=ports(docs) if ports is not None else None)
    return Loaded(docs, env, desired, diagnostics + more)
