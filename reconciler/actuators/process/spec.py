"""The ``process`` kind's spec: what ``Resource.spec`` holds for a long-running process.

The definition is shared with ``task`` (a task is a process run to completion) and lives in
:mod:`reconciler.actuators.local_run.spec`, the package both kinds may import; this module is
the kind's name for it. Builders under ``reconciler.model`` construct a spec with
:func:`process_spec` (the only place its keys are written) and the actuator reads it back
through :meth:`ProcessSpec.of`. Imports nothing but the standard library (the model layer
imports it).
"""

from __future__ import annotations

from reconciler.actuators.local_run.spec import ProcessFields, ProcessSpec, process_spec

__all__ = ["ProcessFields", "ProcessSpec", "process_spec"]
