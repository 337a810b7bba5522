"""WireGuard meshes (kind `wireguard`): dump parser, renderers, key rules, drift, actuator."""
