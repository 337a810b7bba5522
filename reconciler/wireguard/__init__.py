"""WireGuard meshes as a resource: the pure parts (model, dump parser, renderers, key rules).

* :mod:`reconciler.wireguard.model` -- a ``networks.<name>`` entry with ``type: wireguard``
  read into a :class:`~reconciler.wireguard.model.NetworkDef`: overlay addresses allocated
  from the subnet, interface names, topology, and one normalized spec per node;
* :mod:`reconciler.wireguard.parse` -- what a host said about its interfaces (``wg show <if>
  dump`` with the private key blanked on the host, ``ip -o addr``, ``ip -o link``);
* :mod:`reconciler.wireguard.render` -- wg-quick compatible files and the ``wg set`` commands
  that move a live interface to its desired configuration without tearing it down;
* :mod:`reconciler.wireguard.keys` -- where keys live on a node and how they are made.

Nothing here touches the world; ``reconciler.actuators.wireguard`` does, through transports.
"""
