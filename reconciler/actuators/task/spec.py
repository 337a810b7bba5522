"""The ``task`` kind's spec: what ``Resource.spec`` holds for a one-shot command.

A process task has exactly the keys of a process (:class:`ProcessFields`, built with
:func:`process_spec` and read through :meth:`ProcessSpec.of`, all defined in
:mod:`reconciler.actuators.local_run.spec`, which ``process`` shares). A ``type: docker`` task
is a container spec with ``kind: container`` (see ``actuators.container.spec``); it names the
image it runs like a container does (:func:`consumes`, ``Kind.consumes``). Imports
nothing but the standard library (the model layer imports it).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.actuators.local_run.spec import ProcessFields, ProcessSpec, process_spec

__all__ = ["ProcessFields", "ProcessSpec", "consumes", "process_spec"]


def consumes(spec: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """The image a docker task runs, as ``(namespace, name, field)``; a process task: none."""
    image = spec.get("image")
    if spec.get("kind") != "container" or not isinstance(image, str) or not image:
        return []
    return [("docker-image", image, "image_build")]
