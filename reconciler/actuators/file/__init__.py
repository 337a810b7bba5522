"""Managed files (kind `file`): a path on a host with given content, mode and owner.

``path`` is the identity: a change of content, source, mode or owner rewrites the file in
place (an UPDATE); a new path is a REPLACE (the old file is removed).
"""

from reconciler.actuators.base import Adoption, Kind

KIND = Kind("file", "reconciler.actuators.file.actuator:FileActuator",
            in_place=frozenset({"path"}),
            adopt=Adoption("reconciler.actuators.file.adopt:adopted", "path",
                           "the file's path, as configured"),
            schemas=("reconciler.actuators.file.schema:FileTarget",),
            builder="reconciler.actuators.file.spec:build",
            batch_observe=True)
