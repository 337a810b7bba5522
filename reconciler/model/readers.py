"""The reader steps of model.build: one reader per config file format, in :data:`READERS`.

A reader turns one parsed document (:class:`~reconciler.config.raw.RawDocument`) into the
:class:`~reconciler.model.build_draft.Draft` s it defines and the problems found doing so. It
is pure: host facts come through ``ReadContext.host`` (a
:class:`~reconciler.model.host.BuildHost`). :func:`read_drafts` runs the reader of every
document's format in document order (a format without a reader -- ``dotenv``, Compose files,
``policy`` -- defines no drafts; what they say is read by later build steps) and numbers the
drafts in that order, which the plan uses to break ties.

Adding a format: a parser in ``reconciler/config`` (its ``format`` name), a reader function
here or in its own ``model/build_<format>.py``, and one line in :data:`READERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic
from reconciler.model.build_draft import Draft
from reconciler.model.build_locald import locald_drafts, procfile_drafts
from reconciler.model.build_services import services_drafts
from reconciler.model.host import BuildHost

__all__ = ["READERS", "ReadContext", "Reader", "read_drafts"]


@dataclass(frozen=True)
class ReadContext:
    """What every reader may use besides its document."""

    env: Mapping[str, str]  # the interpolation environment
    host: BuildHost
    dotenv: Mapping[str, str] = field(default_factory=dict)  # every ``.env`` document, merged


Reader = Callable[[RawDocument, ReadContext], tuple[list[Draft], list[Diagnostic]]]


def _services(doc: RawDocument, ctx: ReadContext) -> tuple[list[Draft], list[Diagnostic]]:
    return services_drafts(doc, ctx.host)


def _locald(doc: RawDocument, ctx: ReadContext) -> tuple[list[Draft], list[Diagnostic]]:
    return locald_drafts(doc), []


def _procfile(doc: RawDocument, ctx: ReadContext) -> tuple[list[Draft], list[Diagnostic]]:
    return procfile_drafts(doc, ctx.dotenv, ctx.env), []


def _vendetta(doc: RawDocument, ctx: ReadContext) -> tuple[list[Draft], list[Diagnostic]]:
    from reconciler.model.build_vendetta import vendetta_drafts  # (seed formats: on use)

    return vendetta_drafts(doc)


def _par(doc: RawDocument, ctx: ReadContext) -> tuple[list[Draft], list[Diagnostic]]:
    from reconciler.model.build_par import par_drafts

    return par_drafts(doc), []


READERS: dict[str, Reader] = {
    "services": _services,  # services.yaml (reconciler's own format)
    "locald": _locald,  # locald.toml
    "procfile": _procfile,  # Procfile (+ .env)
    "vendetta": _vendetta,  # .vendetta/config.yaml
    "par": _par,  # .par.yaml
}


def dotenv_of(docs: Sequence[RawDocument]) -> dict[str, str]:
    """The variables of every ``dotenv`` document, later files winning."""
    dotenv: dict[str, str] = {}
    for doc in docs:
        if doc.format == "dotenv" and isinstance(doc.data, dict):
            dotenv.update({str(k): str(v) for k, v in doc.data.items()})
    return dotenv


def read_drafts(docs: Sequence[RawDocument], env: Mapping[str, str],
                host: BuildHost) -> tuple[list[Draft], list[Diagnostic]]:
    """Every document's drafts (each document's in source order) and the readers' problems."""
    ctx = ReadContext(env, host, dotenv_of(docs))
    drafts: list[Draft] = []
    problems: list[Diagnostic] = []
    for doc in docs:
        reader = READERS.get(doc.format)
        if reader is None:
            continue
        found, bad = reader(doc, ctx)
        problems += bad
        drafts += sorted(found, key=lambda d: (d.source.line, d.source.column))
    for order, draft in enumerate(drafts):
        draft.order = order
    return drafts, problems
