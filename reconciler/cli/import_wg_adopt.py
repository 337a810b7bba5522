"""``reconciler import wireguard FILE --adopt IFACE``: the converted ``networks.<name>`` entry
written into the project's services.yaml, then the running interface IFACE taken into the
state as ``wireguard.<name>@<node>`` (the same as ``import wireguard.<name>@<node> IFACE``:
reconciler/engine/importing.py), so the next plan shows no changes when the file matches the
interface and nothing is torn down or recreated.

The file is edited round-trip (comments and order kept). When the import is refused, the
file is put back as it was (or removed, when this command created it), so a failed adopt
leaves no half-written config behind.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.errors import UserError

CONFIG_NAMES = ("services.yaml", "services.yml")


def config_file(directory: Path) -> Path:
    """The project's services.yaml (a new one when there is none)."""
    return next((directory / n for n in CONFIG_NAMES if (directory / n).is_file()),
                directory / CONFIG_NAMES[0])


def add_network(text: str, name: str, entry: dict[str, Any], where: Path) -> str:
    """``text`` (a services.yaml) with ``networks.<name>: entry`` added; refused when the
    network is there already."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = YAML()
    yaml.default_flow_style = False
    try:
        data = yaml.load(text) if text.strip() else None
    except YAMLError as exc:
        raise UserError(f"{where}: not valid YAML ({exc.__class__.__name__})",
                        hint="fix the file, then import again") from None
    data = CommentedMap() if data is None else data
    if not isinstance(data, dict):
        raise UserError(f"{where}: the top level is not a mapping", hint="fix the file")
    networks = data.setdefault("networks", CommentedMap())
    if not isinstance(networks, dict):
        raise UserError(f"{where}: `networks:` is not a mapping", hint="fix the file")
    if name in networks:
        raise UserError(f"{where}: networks.{name} exists already",
                        hint=f"pick another --name, or import the running interface into it: "
                             f"`reconciler import wireguard.{name}@NODE IFACE`")
    networks[name] = entry
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def write_then(path: Path, text: str, then: Callable[[], None]) -> None:
    """Write ``text`` to ``path`` and run ``then``; put the file back when ``then`` fails."""
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    path.write_text(text, encoding="utf-8")
    try:
        then()
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(before, encoding="utf-8")
        raise
