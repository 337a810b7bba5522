"""Compose projects (kind `compose`) through the Compose CLI (v2 or v1)."""

from reconciler.actuators.base import Adoption, Kind

KIND = Kind("compose", "reconciler.actuators.compose.actuator:ComposeActuator",
            schemas=("reconciler.actuators.compose.schema:ComposeTarget",),
            consumes="reconciler.actuators.compose.spec:consumes",
            adopt=Adoption("reconciler.actuators.compose.adopt:adopted", "container_id",
                           "the Compose project name, for the entry compose.NAME"))
