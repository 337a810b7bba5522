"""Checkout-independent paths: specs are stored, hashed and compared relative to the project.

A relative path in the config (a process's ``cwd``, a file's ``source``, a bind mount, compose
files, ``env_file``, ...) is made absolute by the model so that actuators can act on it; the
same commit checked out in two directories would then plan ``~ cwd: ".../alice/qs" ->
".../bob/qs"`` against a shared state. So every string of a spec that is the project root, or a
path under it, is written ``{project}`` / ``{project}/sub/path`` (:func:`portable`) wherever a
spec is hashed or recorded, and turned back into this checkout's absolute path
(:func:`localize`) when a recorded spec is read. Spec hashes thus agree across checkouts.
An absolute path that points into the checkout is treated the same way (it cannot be told
from a relative one once made absolute); paths outside the project are kept as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROOT_TOKEN = "{project}"


def portable(value: object, root: str) -> Any:
    """``value`` (a spec or part of one) with paths under ``root`` written from ``{project}``."""
    if not root:
        return value
    root = root.rstrip("/") or "/"
    if isinstance(value, str):
        if value == root:
            return ROOT_TOKEN
        if value.startswith(root + "/"):
            return ROOT_TOKEN + value[len(root):]
        return value
    if isinstance(value, Mapping):
        return {k: portable(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [portable(v, root) for v in value]
    return value


def localize(value: object, root: str) -> Any:
    """The inverse of :func:`portable`: ``{project}`` paths under this checkout's ``root``."""
    if not root:
        return value
    root = root.rstrip("/") or "/"
    if isinstance(value, str):
        if value == ROOT_TOKEN:
            return root
        if value.startswith(ROOT_TOKEN + "/"):
            return root + value[len(ROOT_TOKEN):]
        return value
    if isinstance(value, Mapping):
        return {k: localize(v, root) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [localize(v, root) for v in value]
    return value
