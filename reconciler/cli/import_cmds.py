"""``reconciler import wireguard FILE...``: wg-quick files as a ``networks:`` entry.

Reads each wg-quick ``.conf`` (one node per file) with :mod:`reconciler.config.wgquick` and
prints the equivalent ``networks.<name>`` entry of services.yaml as YAML, followed by notes
(as YAML comments) on what has no key of its own. Private and preshared keys are never read
into memory past the parser and never printed: the notes name the file that keeps them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.app import app, echo
from reconciler.errors import ConfigError, UserError

import_app = typer.Typer(help="Convert other tools' files into reconciler config.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("wireguard")
def import_wireguard(
    files: Annotated[list[Path], typer.Argument(help="wg-quick .conf files, one per node.",
                                                dir_okay=False)],
    name: Annotated[str, typer.Option("--name", help="The network's name.")] = "wg",
    ssh_user: Annotated[str, typer.Option("--ssh-user",
                                          help="SSH user of every node.")] = "root",
) -> None:
    """Print the `networks:` entry equivalent to FILE... (keys stay in the files)."""
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
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump({"networks": {name: entry}}, out)
    echo(out.getvalue().rstrip("\n"))
    for note in notes:
        echo(f"# note: {note}")
