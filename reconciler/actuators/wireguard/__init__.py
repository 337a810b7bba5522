"""WireGuard meshes (kind `wireguard`): dump parser, renderers, key rules, drift, actuator."""

from reconciler.actuators.base import Kind

KIND = Kind("wireguard", "reconciler.actuators.wireguard.actuator:WireguardActuator",
            in_place=frozenset({"interface", "listen_port"}))
