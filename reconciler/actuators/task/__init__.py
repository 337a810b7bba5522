"""One-shot tasks (kind `task`), built on the process actuator."""

from reconciler.actuators.base import Kind

KIND = Kind("task", "reconciler.actuators.task.actuator:TaskActuator", one_shot=True,
            consumes="reconciler.actuators.task.spec:consumes")
