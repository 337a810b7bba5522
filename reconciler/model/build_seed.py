"""The seed systems' own files (vendetta, par) -> Drafts: one entry point for model.build.

Dispatches a document of format ``vendetta`` to :mod:`reconciler.model.build_vendetta` and
one of format ``par`` to :mod:`reconciler.model.build_par`, so model.build knows one name.
"""

from __future__ import annotations

from typing import Any

from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic
from reconciler.model.build_draft import Draft

SEED_FORMATS = frozenset({"vendetta", "par"})


def seed_drafts(doc: RawDocument) -> tuple[list[Draft], list[Diagnostic]]:
    """The Drafts of one seed-system document and the problems found building them."""
    if doc.format == "vendetta":
        from reconciler.model.build_vendetta import vendetta_drafts

        return vendetta_drafts(doc)
    from reconciler.model.build_par import par_drafts

    return par_drafts(doc), []


def vendetta_hosts(doc: RawDocument) -> dict[str, dict[str, Any]]:
    """The SSH hosts of a vendetta document's ``remote:`` blocks (``hosts:`` form)."""
    from reconciler.model.build_vendetta import vendetta_hosts as hosts

    return hosts(doc)
