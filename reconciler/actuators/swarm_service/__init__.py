"""Swarm services (kind ``swarm_service``): a ``type: docker`` service with ``cluster:``.

The cluster's manager runs it as a Docker Swarm service; a spec change is an in-place UPDATE
(the service rolls according to its ``update`` config), and only a move to another cluster
engine (``docker_host``) is a REPLACE.
"""

from reconciler.actuators.base import Kind

KIND = Kind("swarm_service", "reconciler.actuators.swarm_service.actuator:SwarmServiceActuator",
            in_place=frozenset({"docker_host"}))
