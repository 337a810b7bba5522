"""WireGuard meshes (kind `wireguard`): dump parser, renderers, key rules, drift, actuator."""

from reconciler.actuators.base import Adoption, Kind

KIND = Kind("wireguard", "reconciler.actuators.wireguard.actuator:WireguardActuator",
            in_place=frozenset({"interface", "listen_port"}),
            adopt=Adoption("reconciler.actuators.wireguard.adopt:adopted", "interface",
                           "the interface name (`wg show`)"))
