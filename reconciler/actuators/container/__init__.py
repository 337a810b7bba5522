"""Docker containers (kind `container`): the SDK for changes, a stdlib socket client for observe."""

from reconciler.actuators.base import Kind

KIND = Kind("container", "reconciler.actuators.container.actuator:ContainerActuator",
            keeps_stopped=True,
            schemas=("reconciler.actuators.container.schema:DockerTarget",),
            consumes="reconciler.actuators.container.spec:consumes")
