"""``secrets init`` and ``secrets show-refs``: SOPS + age encrypted secrets (docs/secrets.md).

``init`` makes an age key outside the repository (``age-keygen``; default
``$XDG_CONFIG_HOME/sops/age/keys.txt``, else ``~/.config/sops/age/keys.txt``: where sops itself
looks) and a ``.sops.yaml`` whose creation
rule encrypts every ``*.enc.*`` file to that key's recipient. ``show-refs`` lists which
service uses which file and key path; it reads the config only and never decrypts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli.app import app, echo, globals_of
from reconciler.cli.common import guarded
from reconciler.errors import UserError

secrets_app = typer.Typer(help="Encrypted secrets (SOPS + age): make a key, list references.",
                          no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")

RULE = """\
# made by `reconciler secrets init`: files named *.enc.* are encrypted to this age recipient
creation_rules:
  - path_regex: \\.enc\\.[^/]+$
    age: {recipient}
"""


def default_key_file(environ: Mapping[str, str]) -> Path:
    """Where sops looks for its age key (Go's ``os.UserConfigDir`` on Linux): an absolute
    ``$XDG_CONFIG_HOME``, else ``~/.config``; then ``sops/age/keys.txt``."""
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path("~/.config").expanduser()
    return root / "sops" / "age" / "keys.txt"


def _recipient(key_file: Path) -> str:
    for line in key_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("# public key:"):
            return line.split()[-1]
    raise UserError(f"{key_file} holds no age public key line", hint="is it an age key file?")


def _init(directory: Path, key_file: Path | None, force: bool) -> int:
    key_file = (key_file or default_key_file(os.environ)).expanduser().absolute()
    if key_file.is_relative_to(directory.absolute()):
        raise UserError(f"the key file {key_file} is inside the repository",
                        hint="keep the private key out of git: pass --key-file outside it")
    if key_file.exists():
        raise UserError(f"{key_file} already exists; reconciler never overwrites a key",
                        hint="use it as it is, or pass another --key-file")
    keygen = shutil.which("age-keygen")
    if keygen is None:
        raise UserError("age-keygen is not installed", hint="install age (apt install age)")
    sops_yaml = directory / ".sops.yaml"
    if sops_yaml.exists() and not force:
        raise UserError(f"{sops_yaml} already exists", hint="add the rule by hand, or --force")
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    old = os.umask(0o077)
    try:
        done = subprocess.run([keygen, "-o", str(key_file)], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"age-keygen failed to run ({exc.__class__.__name__})") from None
    finally:
        os.umask(old)
    if done.returncode != 0:
        raise UserError(f"age-keygen failed (exit {done.returncode})")
    recipient = _recipient(key_file)
    sops_yaml.write_text(RULE.format(recipient=recipient), encoding="utf-8")
    echo(f"Age key: {key_file} (private: keep it out of the repository; back it up)")
    echo(f"Recipient: {recipient}")
    echo(f"Wrote {sops_yaml}: files named *.enc.* are encrypted to it.")
    echo("Next: sops edit secrets.enc.yaml, then in services.yaml "
         "env: {DB_PASSWORD: {sops: secrets.enc.yaml#db.password}}")
    return 0


@secrets_app.command("init")
def secrets_init(
    ctx: typer.Context,
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", dir_okay=False, help="Where to write the new age key (outside the "
        "repository). Default: where sops looks, $XDG_CONFIG_HOME/sops/age/keys.txt, else "
        "~/.config/sops/age/keys.txt.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing .sops.yaml.")] = False,
) -> None:
    """Make an age key outside the repository and a .sops.yaml creation rule for *.enc.*."""
    g = globals_of(ctx)
    raise typer.Exit(guarded(lambda: _init(g.directory, key_file, force)))


def _show_refs(directory: Path) -> int:
    from reconciler.config import load
    from reconciler.model.sops_refs import references

    docs, _ = load(directory)
    found = references(docs)
    if not found:
        echo("No service uses an encrypted secret.")
        return 0
    for ref in found:
        try:
            shown = os.path.relpath(ref.file, directory)
        except ValueError:
            shown = str(ref.file)
        what = "env_file (every variable)" if ref.variable == "*" else \
            f"{ref.prefix}{ref.variable}"
        key = "" if ref.key_path == "*" else f"#{ref.key_path}"
        echo(f"{ref.service}: {what} <- {shown}{key}  ({ref.where})")
    return 0


@secrets_app.command("show-refs")
def secrets_show_refs(ctx: typer.Context) -> None:
    """Which services use which encrypted files and key paths (never a value)."""
    g = globals_of(ctx)
    raise typer.Exit(guarded(lambda: _show_refs(g.directory)))
