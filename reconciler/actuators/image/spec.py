"""The typed spec of kind ``image`` and its builder from a services.yaml entry.

:class:`ImageSpec` is the one definition of an image resource's spec: the ``tag`` it is
built as, the absolute ``context`` directory and ``dockerfile``, the ``build_target`` stage,
the ``build_args`` and the ``context_hash`` (``sha256:...`` of what the build would send,
``.dockerignore`` respected: see :mod:`reconciler.actuators.image.context`). Every key is in
the spec hash, so an edit of a file in the context, of the Dockerfile, of an arg or of the
target is a spec change (REPLACE: a rebuild), and nothing else is.

:func:`build` is the kind's builder (``Kind.builder``; pure: the context is hashed by the
build host, asked through ``fact("context_digest", context, dockerfile)``, which calls
:func:`reconciler.actuators.image.context.context_digest`); :func:`provides` offers the tag,
in both spellings (``app`` and ``app:latest``), with :func:`build_digest`, which a resource
naming the tag (a container, a docker task, a Compose service) carries as ``image_build`` in
its own spec, so a rebuild replaces it (``Kind.provides``; see
:mod:`reconciler.model.kind_hooks`). Standard library only: the model imports this module.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import TypedDict, cast

__all__ = ["NAMESPACE", "ImageSpec", "build", "build_digest", "provides", "spec_of"]

NAMESPACE = "docker-image"  # what a tag is offered as; consumers name it the same way


class ImageSpec(TypedDict):
    tag: str
    context: str
    dockerfile: str
    build_target: str | None
    build_args: dict[str, str]
    context_hash: str


def spec_of(spec: Mapping[str, object]) -> ImageSpec:
    """The typed view of an image resource's spec (the builder wrote it as an ImageSpec)."""
    return cast(ImageSpec, spec)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def build(target: Mapping[str, object], directory: str,
          fact: Callable[..., object]) -> tuple[ImageSpec, list[tuple[str, str, str]]]:
    """The spec of one ``type: image`` entry whose file lives in ``directory``, and its
    problems as ``(key, message, hint)``. ``fact("context_digest", context, dockerfile)``
    answers the content hash, or None when the context or the Dockerfile is missing."""
    problems: list[tuple[str, str, str]] = []
    context = os.path.normpath(os.path.join(directory, _text(target.get("context")) or "."))
    dockerfile = os.path.normpath(os.path.join(
        context, _text(target.get("dockerfile")) or "Dockerfile"))
    raw_args = target.get("build_args")
    args = {str(k): _text(v) for k, v in raw_args.items()} if isinstance(raw_args, dict) else {}
    spec: ImageSpec = {"tag": _text(target.get("tag")), "context": context,
                       "dockerfile": dockerfile,
                       "build_target": _text(target.get("build_target")) or None,
                       "build_args": dict(sorted(args.items())), "context_hash": ""}
    if not spec["tag"]:
        return spec, problems  # validate reports the missing key
    found = fact("context_digest", context, dockerfile)
    if not isinstance(found, str):
        key = "context" if not os.path.isdir(context) else "dockerfile"
        what = context if key == "context" else dockerfile
        problems.append((key, f"{key} {what} does not exist",
                         "paths are relative to this file (dockerfile: to the context)"))
    else:
        spec["context_hash"] = found
    return spec, problems


def build_digest(spec: ImageSpec) -> str:
    """A digest of everything a build depends on (``sha256:<hex>``): what a container that
    runs the tag keeps as ``image_build``."""
    canonical = json.dumps(dict(spec), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _spellings(tag: str) -> list[str]:
    """``app`` and ``app:latest`` name the same image (a digest or explicit tag: itself)."""
    if "@" in tag or ":" in tag.rsplit("/", 1)[-1]:
        return [tag, tag.removesuffix(":latest")] if tag.endswith(":latest") else [tag]
    return [tag, f"{tag}:latest"]


def provides(spec: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The tag an image resource builds, in each spelling, with its build digest."""
    tag = spec.get("tag")
    if not isinstance(tag, str) or not tag:
        return []
    digest = build_digest(spec_of(spec))
    return [(NAMESPACE, name, digest) for name in _spellings(tag)]
