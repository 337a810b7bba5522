"""One normalised view of a resource's spec for policy, whatever kind or file it came from.

Rules (built-in and CEL) read ``spec.image``, ``spec.privileged``, ``spec.ports`` and
``spec.labels`` in the container vocabulary. A Compose service keeps its service definition
under ``spec.definition`` in Compose's own shapes, so without this view an image from a
forbidden registry was denied as a container and allowed as a Compose service. Here the
definition's fields are lifted next to the spec's own keys (which stay, ``definition``
included) and its port strings become ``{host, container, host_ip, protocol}`` mappings,
with Docker's default bind address (every interface, ``0.0.0.0``) made explicit. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PORT = re.compile(r"^(?:(?:(?P<ip>\[[^\]]*\]|[^:]*):)?(?P<host>[\d-]*):)?(?P<container>[\d-]+)"
                   r"(?:/(?P<proto>\w+))?$")


def compose_ports(raw: object) -> list[dict[str, object]]:
    """Compose ``ports`` (strings after normalisation) as container-style mappings."""
    out: list[dict[str, object]] = []
    for item in raw if isinstance(raw, list) else []:
        match = _PORT.match(str(item).strip())
        if match is None:
            out.append({"host": None, "container": None, "host_ip": "0.0.0.0", "raw": str(item)})
            continue
        host = match.group("host")
        out.append({"host": int(host) if host and host.isdigit() else None,
                    "container": int(c) if (c := match.group("container")).isdigit() else c,
                    "host_ip": (match.group("ip") or "0.0.0.0").strip("[]"),
                    "protocol": match.group("proto") or "tcp"})
    return out


def policy_spec(kind: str, spec: Mapping[str, object]) -> dict[str, object]:
    """The spec a policy rule sees for a resource of ``kind``."""
    view = dict(spec)
    definition = spec.get("definition")
    if kind != "compose" or not isinstance(definition, Mapping):
        return view
    for key in ("image", "user", "network_mode", "cap_add", "devices", "volumes"):
        if key in definition:
            view.setdefault(key, definition[key])
    view.setdefault("privileged", bool(definition.get("privileged", False)))
    view.setdefault("ports", compose_ports(definition.get("ports")))
    labels = definition.get("labels")
    view.setdefault("labels", dict(labels) if isinstance(labels, Mapping) else {})
    return view
