"""``reconciler import ADDRESS ID`` (a running object into the state) and ``reconciler import
wireguard FILE...`` (wg-quick files as a ``networks:`` entry).

``import ADDRESS ID`` is short for ``import resource ADDRESS ID`` (:class:`ImportGroup` sends
any first word with a dot there); the work is reconciler/engine/importing.py.


Reads each wg-quick ``.conf`` (one node per file) with :mod:`reconciler.config.wgquick` and
prints the equivalent ``networks.<name>`` entry of services.yaml as YAML, followed by notes
(as YAML comments) on what has no key of its own. Private and preshared keys are never read
into memory past the parser and never printed: the notes name the file that keeps them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from reconciler.cli.app import app, echo, globals_of
from reconciler.errors import ConfigError, UserError


class ImportGroup(TyperGroup):
    """``import process.api 1234`` means ``import resource process.api 1234``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # typed Any: typer >= 0.29 vendors click (typer._click), an older typer uses click
        if args and "." in args[0] and args[0] not in self.commands:
            return "resource", self.commands["resource"], args
        return super().resolve_command(ctx, args)


import_app = typer.Typer(cls=ImportGroup, no_args_is_help=True,
                         help="Adopt a running object into the state (`import ADDRESS ID`), or "
                              "convert other tools' files into reconciler config.")
app.add_typer(import_app, name="import")


@import_app.command("resource")
def import_resource(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(
        help="A configured address, e.g. process.api or container.db; compose.NAME "
             "imports every service of the Compose entry NAME.")],
    ident: Annotated[str, typer.Argument(
        metavar="ID", help="The running object: a pid (process), an id or name (container), "
                           "an interface name (wireguard), the Compose project name (compose), "
                           "the path (file).")],
) -> None:
    """Adopt a running object into the state as ADDRESS (also `import ADDRESS ID`); never
    starts or stops anything. The next plan shows what differs from the config."""
    from reconciler.engine.importing import import_object
    from reconciler.model.types import Address

    try:
        wanted = Address.parse(address)
    except ValueError:
        raise UserError(f"not a resource address: {address!r}",
                        hint="use kind.name, e.g. process.api") from None
    project = globals_of(ctx).project()
    with project.locked():
        done = import_object(project, wanted, ident)
    for each in done:
        echo(f"Imported {each.address} ({each.label})")
    echo("Run `reconciler plan` to see what differs from the config")


@import_app.command("wireguard")
def import_wireguard(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="wg-quick .conf files, one per node.",
                                                dir_okay=False)],
    name: Annotated[str, typer.Option("--name", help="The network's name.")] = "wg",
    ssh_user: Annotated[str, typer.Option("--ssh-user",
                                          help="SSH user of every node.")] = "root",
    adopt: Annotated[str | None, typer.Option(
        "--adopt", metavar="IFACE",
        help="Write the entry into services.yaml and take over the running interface IFACE "
             "of the (one) node into the state: nothing is recreated.")] = None,
    host: Annotated[str | None, typer.Option(
        "--host", help="With --adopt: the node's SSH address (default: the file's name).")
    ] = None,
    ssh_key: Annotated[str | None, typer.Option(
        "--ssh-key", help="With --adopt: the SSH key of the node.")] = None,
) -> None:
    """Print the `networks:` entry equivalent to FILE... (keys stay in the files); with
    --adopt, write it into services.yaml and import the running interface."""
    from ruamel.yaml import YAML

    from reconciler.config.wgquick import parse_wgquick
    from reconciler.model.build_wgquick import network_entry
    from reconciler.model.wireguard import IFNAME_MAX

    if len(files) > 1 and len(name) > IFNAME_MAX:
        raise UserError(f"--name '{name}' is longer than {IFNAME_MAX} characters; it names "
                        "the interface of every node", hint="pick a shorter --name")
    docs = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise UserError(f"cannot read {path}: {reason}") from None
        doc, problems = parse_wgquick(path, text)
        if doc is None:
            raise ConfigError(problems)
        docs.append(doc)
    entry, notes = network_entry(docs, name, ssh_user=ssh_user)
    if adopt is not None:
        _adopt(ctx, entry, notes, name, adopt, host, ssh_key)
        return
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump({"networks": {name: entry}}, out)
    echo(out.getvalue().rstrip("\n"))
    for note in notes:
        echo(f"# note: {note}")


def _adopt(ctx: typer.Context, entry: dict[str, Any], notes: list[str], name: str, iface: str,
           host: str | None, ssh_key: str | None) -> None:
    from reconciler.cli.import_wg_adopt import add_network, config_file, write_then
    from reconciler.engine.importing import import_object
    from reconciler.model.types import Address

    if len(entry["nodes"]) != 1:
        raise UserError("--adopt takes one wg-quick file (one node, one running interface)",
                        hint="import the files without --adopt, then `reconciler import "
                             "wireguard.NET@NODE IFACE` for each node")
    node = entry["nodes"][0]
    node.update({k: v for k, v in (("host", host), ("ssh_key", ssh_key)) if v})
    entry["interface"] = iface
    where = globals_of(ctx)
    where.check_directory()
    path = config_file(where.directory)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    address = Address.parse(f"wireguard.{name}@{node['name']}")
    done = []

    def adopt() -> None:
        fresh = globals_of(ctx).project()  # reads the config just written
        with fresh.locked():
            done.extend(import_object(fresh, address, iface))

    write_then(path, add_network(text, name, entry, path), adopt)
    echo(f"Wrote networks.{name} to {path.name}")
    for note in notes:
        echo(f"# note: {note}")
    for each in done:
        echo(f"Imported {each.address} ({each.label})")
    echo("Run `reconciler plan` to see what differs from the config")
