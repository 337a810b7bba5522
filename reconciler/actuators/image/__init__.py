"""Local images (kind ``image``): an image built from a Dockerfile context on this engine.

Rebuilt (a REPLACE) when the context's content (``.dockerignore`` respected), the Dockerfile,
the target or the build args change, never otherwise; a container whose ``image:`` names the
tag depends on it and is replaced after a rebuild. Destroy removes the image only when no
other container uses it.
"""

from reconciler.actuators.base import Kind

KIND = Kind("image", "reconciler.actuators.image.actuator:ImageActuator",
            schemas=("reconciler.actuators.image.schema:ImageTarget",),
            builder="reconciler.actuators.image.spec:build",
            provides="reconciler.actuators.image.spec:provides",
            facts="reconciler.actuators.image.context")
