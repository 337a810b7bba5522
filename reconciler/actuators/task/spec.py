"""The ``task`` kind's spec: what ``Resource.spec`` holds for a one-shot command.

A process task has exactly the keys of a process (:class:`ProcessFields`, built with
:func:`process_spec` and read through :meth:`ProcessSpec.of`, all defined in
:mod:`reconciler.actuators.local_run.spec`, which ``process`` shares). A ``type: docker`` task
is a container spec with ``kind: container`` (see ``actuators.container.spec``). Imports
nothing but the standard library (the model layer imports it).
"""

from __future__ import annotations

from reconciler.actuators.local_run.spec import ProcessFields, ProcessSpec, process_spec

__all__ = ["ProcessFields", "ProcessSpec", "process_spec"]
