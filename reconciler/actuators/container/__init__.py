"""Docker containers (kind `container`): the SDK for changes, a stdlib socket client for observe."""

from reconciler.actuators.base import Adoption, Kind

KIND = Kind("container", "reconciler.actuators.container.actuator:ContainerActuator",
            keeps_stopped=True,
            adopt=Adoption("reconciler.actuators.container.adopt:adopt", "id",
                           "a container id or name (`docker ps`)"),
            schemas=("reconciler.actuators.container.schema:DockerTarget",),
            consumes="reconciler.actuators.container.spec:consumes")
