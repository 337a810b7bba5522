"""Compose in model.build: Compose files -> ``compose.<name>.<service>`` resources, and the
names other services use to depend on them. Pure: which Compose files exist, their parsed
documents, their env files and their symlink-resolved paths are asked of the BuildHost.

Two sources (see docs/compose.md): the Compose files auto-discovered in the project directory
(``compose.yaml`` / ``docker-compose.yml`` + override, resource name ``compose``) and every
services.yaml ``type: compose`` entry (resource name = the entry's key). An entry with
``cluster:`` is deployed to that swarm: ``swarm_service.<name>.<service>`` resources
(:mod:`.compose_swarm`), named the same way by dependencies. Discovery is skipped
when an entry already manages one of the discovered files, so no file is driven twice.

How a services.yaml service names a Compose service in ``depends_on`` / ``dependencies``:

- ``<name>.<service>`` (``compose.web``, ``shop.db``) or the full address
  ``compose.<name>.<service>``: always exact;
- the plain ``<service>`` (``web``) when exactly one Compose service has that name and no
  services.yaml / locald / Procfile service does. Several Compose services with that name are
  an error listing them; a services.yaml service of that name wins, with a warning.

``depends_on`` on a ``type: compose`` entry applies to every service of that entry (Compose
files cannot name resources outside their project). Dependency edges onto a Compose service
also count toward the entry for cycle detection, so ``api -> shop.db -> shop -> api`` is found.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, error, warning
from reconciler.model.build_draft import Draft
from reconciler.model.compose import (
    KIND,
    discovered_compose_resources,
    entry_compose_resources,
)
from reconciler.model.compose_swarm import is_cluster_entry, swarm_resources
from reconciler.model.host import ComposeHost
from reconciler.model.types import Dependency, Resource

DISCOVERED = "compose"  # the resource name of the auto-discovered Compose files

__all__ = ["DISCOVERED", "ComposePart", "ComposeRef", "compose_part", "is_compose_draft"]


@dataclass(frozen=True, slots=True)
class ComposeRef:
    """One Compose service a dependency can point at."""

    resource: Resource
    entry: str | None  # the services.yaml entry that owns it; None when auto-discovered


@dataclass
class ComposePart:
    """The Compose resources of a project and the names that reach them."""

    by_entry: dict[str, list[Resource]] = field(default_factory=dict)
    refs: dict[str, list[ComposeRef]] = field(default_factory=dict)
    owner: dict[str, str | None] = field(default_factory=dict)  # name -> its entry
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, name: str, entry: str | None, resources: Sequence[Resource]) -> None:
        self.by_entry[name] = list(resources)
        self.owner[name] = entry
        for resource in resources:
            ref = ComposeRef(resource, entry)
            service = resource.address.name.partition(".")[2]
            for text in (resource.name, str(resource.address), service):
                found = self.refs.setdefault(text, [])
                if ref not in found:
                    found.append(ref)

    def names(self) -> list[str]:
        """Every exact reference (``name.service``), for "did you mean" hints."""
        return sorted(n for n in self.refs if n.count(".") == 1)

    def shadowing(self, text: str, source: SourceRange, shadowed_by: Draft,
                  dependant: str) -> list[Diagnostic]:
        """A warning when plain ``text`` names a services.yaml service and a Compose one."""
        found = self.refs.get(text, [])
        if not found or "." in text:
            return []
        where = ", ".join(r.resource.name for r in found)
        return [warning(
            f"'{dependant}' depends on '{text}', which is both the {shadowed_by.kind} "
            f"'{text}' ({shadowed_by.source}) and the Compose service {where}; "
            f"using the {shadowed_by.kind}", source,
            hint=f"write '{found[0].resource.name}' to depend on the Compose service")]

    def resolve(self, text: str, source: SourceRange,
                dependant: str) -> tuple[list[ComposeRef], list[Diagnostic]]:
        """The Compose services ``text`` names: one service, or every service of an entry
        (``depends_on: [shop]``); empty when it names none (or on an error)."""
        if text in self.by_entry:
            found = [ComposeRef(r, self.owner[text]) for r in self.by_entry[text]]
        else:
            found = self.refs.get(text, [])
            if len(found) > 1:
                where = ", ".join(r.resource.name for r in found)
                return [], [error(f"'{dependant}' depends on '{text}', which several Compose "
                                  f"services are named: {where}", source,
                                  hint=f"write one of {where}")]
        if found and found[0].entry == dependant:
            return [], [error(f"compose entry '{dependant}' depends on its own service(s)",
                              source, hint="dependencies between services of one Compose "
                                           "file belong in the file's own depends_on")]
        return found, []

    def close_matches(self, text: str) -> list[str]:
        return difflib.get_close_matches(text, self.names(), 1)

    def resources(self, entry_deps: Mapping[str, tuple[Dependency, ...]]) -> list[Resource]:
        """Every Compose resource, each with the ``depends_on`` of its entry added."""
        out: list[Resource] = []
        for name, resources in self.by_entry.items():
            extra = entry_deps.get(name, ())
            for resource in resources:
                if extra:
                    resource = dataclasses.replace(
                        resource, depends_on=resource.depends_on + extra)
                out.append(resource)
        return out


def _entry_files(draft: Draft, host: ComposeHost) -> list[Path]:
    raw = draft.spec.get("files")
    listed = ([raw] if isinstance(raw, str)
              else [str(f) for f in raw] if isinstance(raw, list) else [])
    base = draft.doc.path.parent
    return [host.resolve(base / f) for f in listed] or [
        host.resolve(p) for p in host.compose_files(base)]


def _at_entry(problems: Sequence[Diagnostic], draft: Draft,
              host: ComposeHost) -> list[Diagnostic]:
    """``problems`` with each one about a listed file as a whole (a missing or unreadable
    file: no line in it) reported at its ``files:`` entry in services.yaml instead."""
    raw = draft.spec.get("files")
    listed = [raw] if isinstance(raw, str) else \
        [str(f) for f in raw] if isinstance(raw, list) else []
    base = draft.doc.path.parent
    entries = {str(host.resolve(base / f)): (f, index) for index, f in enumerate(listed)}
    out: list[Diagnostic] = []
    for problem in problems:
        source = problem.source
        found = entries.get(str(host.resolve(Path(source.file)))) \
            if source is not None and source.line <= 0 and source.file else None
        if found is None:
            out.append(problem)
            continue
        name, index = found
        where = draft.where("files") if isinstance(raw, str) else draft.where("files", index)
        out.append(dataclasses.replace(
            problem, summary=f"compose file '{name}' of entry '{draft.name}': "
            f"{problem.summary}", source=where,
            hint=problem.hint or "fix the path (it is relative to the directory of "
                                 f"{draft.doc.path.name})"))
    return out


def _discovered_dirs(docs: Sequence[RawDocument], host: ComposeHost) -> list[Path]:
    dirs: list[Path] = []
    for doc in docs:
        directory = host.resolve(doc.path.parent) if doc.format == "compose" else None
        if directory is not None and directory not in dirs:
            dirs.append(directory)
    return dirs


def compose_part(docs: Sequence[RawDocument], entries: Sequence[Draft], *,
                 env: Mapping[str, str], scope: str, order_start: int,
                 secret_key: bytes, host: ComposeHost) -> ComposePart:
    """The Compose resources of ``docs`` (discovered files) and of the ``type: compose``
    Drafts ``entries``, ordered after ``order_start``; files are read through ``host``."""
    part = ComposePart()
    order = order_start
    claimed: set[Path] = set()
    for draft in entries:
        spec: Mapping[str, object] = draft.spec
        claimed.update(_entry_files(draft, host))
        resources, problems = entry_compose_resources(
            draft.name, spec, project_dir=host.resolve(draft.doc.path.parent), scope=scope,
            order_start=order, source=draft.source, environ=env, secret_key=secret_key,
            host=host)
        part.diagnostics += _at_entry(problems, draft, host)
        if is_cluster_entry(draft) and resources:
            docs_read, _ = host.load_compose(_entry_files(draft, host))
            resources, problems = swarm_resources(draft, resources, docs_read, environ=env,
                                                  secret_key=secret_key, host=host)
            part.diagnostics += problems
        part.add(draft.name, draft.name, resources)
        order += len(resources)
    for directory in _discovered_dirs(docs, host):
        files = [host.resolve(p) for p in host.compose_files(directory)]
        if not files or claimed & set(files):
            continue
        clash = next((d for d in entries if d.name == DISCOVERED), None)
        if clash is not None:
            part.diagnostics.append(error(
                f"the entry name '{DISCOVERED}' is taken by the auto-discovered "
                f"{files[0].name}", clash.source,
                hint=f"rename the entry, or list {files[0].name} in its 'files'"))
            continue
        resources, problems = discovered_compose_resources(
            docs, project_dir=directory, scope=scope, order_start=order, environ=env,
            secret_key=secret_key, host=host)
        part.diagnostics += problems
        part.add(DISCOVERED, None, resources)
        order += len(resources)
    return part


def is_compose_draft(draft: Draft) -> bool:
    """A services.yaml ``type: compose`` entry (expanded here, never a resource itself)."""
    return draft.kind == KIND
