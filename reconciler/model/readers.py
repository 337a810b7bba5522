"""The reader steps of model.build: one reader per config file format, in :data:`READERS`.

A reader turns one parsed document (:class:`~reconciler.config.raw.RawDocument`) into the
:class:`~reconciler.model.build_draft.Draft` s it defines and the problems found doing so. It
is pure: host facts come through ``ReadContext.host`` (a
:class:`~reconciler.model.host.BuildHost`). :func:`read_drafts` runs the reader of every
document's format in document order (a format without a reader -- ``dotenv``, Compose files,
``policy`` -- defines no drafts; what they say is read by later build steps) and numbers the
drafts in that order, which the plan uses to break ties.

A reader may also say what its document tells about the project before the build
(:func:`project_of`: the name, and the ``settings`` / ``networks`` / ``hosts`` the transports
need). Adding a format: a parser in ``reconciler/config`` (its ``format`` name), a reader
(here or in its own ``model/build_<format>.py``), and one line in :data:`READERS`.
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

__all__ = ["READERS", "ReadContext", "Reader", "project_of", "read_drafts"]


@dataclass(frozen=True)
class ReadContext:
    """What every reader may use besides its document."""

    env: Mapping[str, str]  # the interpolation environment
    host: BuildHost
    dotenv: Mapping[str, str] = field(default_factory=dict)  # every ``.env`` document, merged


DraftReader = Callable[[RawDocument, ReadContext], tuple[list[Draft], list[Diagnostic]]]
Section = Mapping[str, object]  # a project section (``settings``, ``hosts`` ...) as read
ProjectReader = Callable[[Mapping[str, object], RawDocument],
                         tuple[str | None, dict[str, Section]]]


@dataclass(frozen=True)
class Reader:
    """A format's reader: its drafts, and (``project``) the project name it gives and the
    ``settings`` / ``networks`` / ``hosts`` sections it adds, read before the build."""

    drafts: DraftReader
    project: ProjectReader | None = None


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


def _services_project(data: Mapping[str, object],
                      doc: RawDocument) -> tuple[str | None, dict[str, Section]]:
    name = data.get("name")
    return (name if isinstance(name, str) else None), {
        k: part for k in ("settings", "networks", "hosts")
        if isinstance(part := data.get(k), dict)}


def _locald_project(data: Mapping[str, object],
                    doc: RawDocument) -> tuple[str | None, dict[str, Section]]:
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return (name if isinstance(name, str) else None), {}


def _vendetta_project(data: Mapping[str, object],
                      doc: RawDocument) -> tuple[str | None, dict[str, Section]]:
    from reconciler.model.build_vendetta import vendetta_hosts

    name = data.get("name")
    return (name if isinstance(name, str) else None), {"hosts": vendetta_hosts(doc)}


READERS: dict[str, Reader] = {
    "services": Reader(_services, _services_project),  # services.yaml (reconciler's own)
    "locald": Reader(_locald, _locald_project),  # locald.toml
    "procfile": Reader(_procfile),  # Procfile (+ .env)
    "vendetta": Reader(_vendetta, _vendetta_project),  # .vendetta/config.yaml
    "par": Reader(_par),  # .par.yaml
}


def project_of(docs: Sequence[RawDocument]) -> tuple[str, dict[str, dict[str, object]]]:
    """The project's name (the first a document gives, else its directory's) and its
    ``settings``, ``networks`` and ``hosts`` (what transports need to reach its hosts)."""
    settings: dict[str, dict[str, object]] = {}
    names: list[str] = []
    for doc in docs:
        reader = READERS.get(doc.format)
        if reader is None or reader.project is None:
            continue
        name, parts = reader.project(doc.data if isinstance(doc.data, dict) else {}, doc)
        names += [name] if name is not None else []
        for key, part in parts.items():
            settings.setdefault(key, {}).update(part)
    fallback = docs[0].path.absolute().parent.name if docs else "project"
    return (names[0] if names else fallback) or "project", settings


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
        found, bad = reader.drafts(doc, ctx)
        problems += bad
        drafts += sorted(found, key=lambda d: (d.source.line, d.source.column))
    for order, draft in enumerate(drafts):
        draft.order = order
    return drafts, problems
