"""Managed files (kind `file`): a path on a host with given content, mode and owner.

``path`` is the identity: a change of content, source, mode or owner rewrites the file in
place (an UPDATE); a new path is a REPLACE (the old file is removed).
"""

from reconciler.actuators.base import Kind

KIND = Kind("file", "reconciler.actuators.file.actuator:FileActuator",
            in_place=frozenset({"path"}),
            batch_observe=True,
            schemas=("reconciler.actuators.file.schema:FileTarget",))
