"""Content-addressed packages (kind `package`)."""

from reconciler.actuators.base import Kind

KIND = Kind("package", "reconciler.actuators.package.actuator:PackageActuator",
            batch_observe=True,
            schemas=("reconciler.actuators.package.schema:PackageTarget",),
            builder="reconciler.actuators.package.spec:build",
            facts="reconciler.actuators.package.facts")
