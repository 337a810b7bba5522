"""vendetta / nexus ``.vendetta/config.yaml``: parse it and check its shape (pure).

The file is YAML (read by :mod:`reconciler.config.services_yaml`, so every key has its
file:line:col). What reconciler reads: ``name``, ``services.<name>`` with ``command``,
``port``, ``env``, ``depends_on``, ``healthcheck: {url | command, interval, timeout,
retries}``, ``docker: {image, ports, memory, cpu}`` and ``remote: {node, user, port}``.
``agents``, ``mcp``, ``plugins`` and ``extends`` configure the tool's coding agents and its
own file layering, which mean nothing to a reconciler: each is one warning at its position,
never a refusal. A service with only a ``port`` (no ``command``, no ``docker``) is an external
endpoint (:func:`is_endpoint`). :mod:`reconciler.model.build_vendetta` turns the checked
document into Drafts.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.config.raw import RawDocument, as_dict
from reconciler.config.shape import Spec, check_mapping
from reconciler.errors import Diagnostic, error

FORMAT = "vendetta"

HEALTHCHECK: Spec = {"url": "str", "command": "command", "interval": "duration",
                     "timeout": "duration", "retries": "int"}
DOCKER: Spec = {"image": "str", "ports": "any", "memory": "any", "cpu": "number"}
REMOTE: Spec = {"node": "str", "user": "str", "port": "int"}
SERVICE: Spec = {"command": "command", "port": "int", "env": "env", "depends_on": "strs",
                 "healthcheck": HEALTHCHECK, "docker": DOCKER, "remote": REMOTE}
TOP: Spec = {"name": "str", "version": "any", "services": ("map", SERVICE)}
IGNORED = {
    "agents": "coding-agent settings have no meaning for a reconciler",
    "mcp": "MCP servers are the agents' tools, not services to run",
    "plugins": "vendetta plugins run inside vendetta only",
    "extends": "file layering is not followed; merge the base file into this one",
}


def parse_vendetta(path: Path, text: str) -> tuple[RawDocument | None, list[Diagnostic]]:
    """Parse ``.vendetta/config.yaml`` (an empty file is an empty mapping)."""
    from reconciler.config.services_yaml import parse_yaml

    doc, diagnostics = parse_yaml(path, text, FORMAT)
    if doc is not None and doc.data is None:
        doc = RawDocument(doc.path, doc.format, {}, doc.text, doc.positions)
    return doc, diagnostics


def is_endpoint(svc: dict[str, object]) -> bool:
    """A service with a ``port`` but neither ``command`` nor ``docker``: something that runs
    elsewhere (started by hand, another tool), which others depend on and reference."""
    port = svc.get("port")
    return (svc.get("command") in (None, "", []) and not isinstance(svc.get("docker"), dict)
            and isinstance(port, int) and not isinstance(port, bool))


def check_vendetta(doc: RawDocument) -> list[Diagnostic]:
    """Shape problems (errors) and keys without a meaning here (warnings) of ``doc``."""
    out = check_mapping(doc, (), doc.data, TOP, ignored=IGNORED, what=".vendetta/config.yaml")
    for name, svc in as_dict(as_dict(doc.data).get("services")).items():
        if not isinstance(svc, dict):
            continue
        path = ("services", name)
        docker = svc.get("docker")
        if svc.get("command") in (None, "", []) and not isinstance(docker, dict) \
                and not is_endpoint(svc):
            out.append(error(f"vendetta service '{name}' needs 'command', 'docker' or 'port'",
                             doc.where(*path),
                             hint="a service with only a 'port' is an external endpoint"))
        if isinstance(docker, dict) and not docker.get("image"):
            out.append(error(f"vendetta service '{name}': 'docker' needs 'image'",
                             doc.where(*path, "docker")))
        if isinstance(docker, dict) and isinstance(svc.get("remote"), dict):
            out.append(error(f"vendetta service '{name}' has both 'docker' and 'remote'",
                             doc.where(*path, "remote"),
                             hint="a remote service runs its 'command' over SSH"))
        remote = svc.get("remote")
        if isinstance(remote, dict) and not remote.get("node"):
            out.append(error(f"vendetta service '{name}': 'remote' needs 'node'",
                             doc.where(*path, "remote")))
        check = svc.get("healthcheck")
        if isinstance(check, dict) and not (check.get("url") or check.get("command")):
            out.append(error(f"vendetta service '{name}': 'healthcheck' needs 'url' or "
                             "'command'", doc.where(*path, "healthcheck")))
    return out
