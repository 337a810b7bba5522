"""Local and remote processes (kind `process`)."""

from reconciler.actuators.base import Kind

KIND = Kind("process", "reconciler.actuators.process.actuator:ProcessActuator",
            batch_observe=True,
            schemas=("reconciler.actuators.process.schema:ProcessTarget",
                     "reconciler.actuators.process.schema:RemoteTarget"))
