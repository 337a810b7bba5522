"""Attached resources (kind `attached`): something reconciler observes but never manages.

An external endpoint (a vendetta service with only a ``port``) or the harness's
``docker-attach`` / ``process-attach`` targets: it is health-checked and others depend on it
and reference it (``${web.port}``), but it is never started, stopped or replaced; destroy
leaves it alone. ``observed_only`` makes the generic diff plan it as a no-op that says
"attached, not managed".
"""

from reconciler.actuators.base import Kind

KIND = Kind("attached", "reconciler.actuators.attached.actuator:AttachedActuator",
            observed_only=True,
            schemas=("reconciler.actuators.attached.schema:DockerAttachTarget",
                     "reconciler.actuators.attached.schema:ProcessAttachTarget"),
            builder="reconciler.actuators.attached.spec:build",
            types=("docker-attach", "process-attach"))
