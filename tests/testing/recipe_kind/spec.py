"""The test kind ``recipe``'s hooks (``Kind.builder``, ``Kind.provides``).

A ``type: recipe`` (or ``type: recipe-alt``) entry names a ``tag``; its spec is the tag, the
entry's ``flavour`` and the ``seed`` the build host answers for ``fact("seed", tag)``. It
provides the tag as a Docker image, with the seed as its digest, so a container naming the
tag depends on it and carries the seed as ``image_build``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["build", "provides"]


def build(target: Mapping[str, object], directory: str,
          fact: Callable[..., object]) -> tuple[dict[str, object], list[tuple[str, str, str]]]:
    tag = str(target.get("tag") or "")
    if not tag:
        return {"tag": ""}, [("tag", "needs a tag", "add `tag:`")]
    return {"tag": tag, "flavour": str(target.get("flavour") or "plain"),
            "seed": fact("seed", tag), "directory": directory}, []


def provides(spec: Mapping[str, object]) -> list[tuple[str, str, str]]:
    tag, seed = spec.get("tag"), spec.get("seed")
    return [("docker-image", tag, str(seed))] if isinstance(tag, str) and tag else []
