"""What model.build's project step needs of a vendetta document (its SSH hosts), imported
on use. (The seed formats' drafts come from their readers in :mod:`reconciler.model.readers`.)
"""

from __future__ import annotations

from typing import Any

from reconciler.config.raw import RawDocument


def vendetta_hosts(doc: RawDocument) -> dict[str, dict[str, Any]]:
    """The SSH hosts of a vendetta document's ``remote:`` blocks (``hosts:`` form)."""
    from reconciler.model.build_vendetta import vendetta_hosts as hosts

    return hosts(doc)
