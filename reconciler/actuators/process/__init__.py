"""Local and remote processes (kind `process`)."""

from reconciler.actuators.base import Adoption, Kind

KIND = Kind("process", "reconciler.actuators.process.actuator:ProcessActuator",
            adopt=Adoption("reconciler.actuators.process.adopt:adopted", "pid",
                           "a pid (a process leading its own group, here or on the host)"),
            batch_observe=True,
            schemas=("reconciler.actuators.process.schema:ProcessTarget",
                     "reconciler.actuators.process.schema:RemoteTarget"))
