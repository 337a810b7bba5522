"""What the ``package`` kind's builder asks of the machine (``Kind.facts``).

:func:`package` reads, checks and hashes a package directory through
:mod:`reconciler.model.packaging` and answers in plain data (the builder, in ``spec.py``,
imports only the standard library): ``{"package": {name, version, manifest_file,
content_hash} | None, "problems": [(summary, hint, file, line, column)]}`` (``file`` is ""
for a problem at the service's ``package:`` key).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.model.package_manifest import Problem

__all__ = ["answer", "package"]


def answer(found: dict[str, str] | None, problems: list[Problem]) -> dict[str, object]:
    """The plain answer for ``found`` (the package's facts) and ``problems``."""
    return {"package": found,
            "problems": [(p.summary, p.hint, p.source.file if p.source else "",
                          p.source.line if p.source else 0, p.source.column if p.source else 0)
                         for p in problems]}


def package(directory: str) -> dict[str, object]:
    """The facts of the package in ``directory`` and what is wrong with it."""
    from reconciler.model import packaging  # tarfile and gzip only when a project has packages

    loaded, problems = packaging.load(Path(directory))
    if loaded is None:
        return answer(None, problems)
    manifest = loaded.manifest
    return answer({"name": manifest.name, "version": manifest.version,
                   "manifest_file": manifest.path.name, "content_hash": loaded.content_hash},
                  problems)
