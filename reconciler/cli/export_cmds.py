"""``reconciler export kubernetes [-o DIR] [--secrets inline|external] [--strict]``: the
project's resolved model as Kubernetes manifests. The model comes from the one
``load_and_build`` (so services.yaml, Compose files, Procfile ... all export); the manifests
from the pure reconciler/export/ modules; this module only reads the project and writes the
YAML (stdout, or one file per resource in DIR) and the diagnostics (stderr)."""

from __future__ import annotations

import os
from itertools import count
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.cli.app import app, echo, globals_of
from reconciler.cli.common import CliExit

export_app = typer.Typer(no_args_is_help=True,
                         help="Write the project in another engine's format (Kubernetes).")
app.add_typer(export_app, name="export")

_FIRST_PORT = 20000  # auto ports numbered in config order: the export is the same every run


def _fixed_ports(_docs: Any) -> Any:
    numbers = count(_FIRST_PORT)
    return lambda _address: next(numbers)


def _read_files(paths: list[str]) -> dict[str, str]:
    """The text of each path that is a regular file small enough for a ConfigMap; the rest
    are left out (the export warns about their mounts)."""
    from reconciler.export.k8s_volumes import CONFIG_MAP_LIMIT

    found: dict[str, str] = {}
    for path in paths:
        try:
            place = Path(path)
            if place.is_file() and place.stat().st_size <= CONFIG_MAP_LIMIT:
                found[path] = place.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return found


@export_app.command("kubernetes")
def export_kubernetes(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", file_okay=False,
        help="Write one file per resource (kind-name.yaml) into DIR (default: one YAML "
             "stream on stdout).")] = None,
    secrets: Annotated[str, typer.Option(
        "--secrets", help="inline: Secrets with the values (base64, not encryption); "
                          "external: reference Secrets you create, never print a value.")
    ] = "inline",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when any resource (or part of one) does not map.")] = False,
) -> None:
    """Kubernetes manifests for the project: Deployments (StatefulSets with volumes),
    Services, ConfigMaps, Secrets, probes and dependency init containers. What does not map
    gets a warning (file:line and why)."""
    from reconciler.engine.loading import load_and_build
    from reconciler.errors import ConfigError, UserError
    from reconciler.export.k8s_manifests import kubernetes
    from reconciler.export.k8s_volumes import bind_sources
    from reconciler.export.k8s_yaml import files, stream

    if secrets not in ("inline", "external"):
        raise UserError(f"--secrets must be inline or external, not {secrets!r}")
    glob = globals_of(ctx)
    glob.check_directory()
    loaded = load_and_build(glob.directory, environ=os.environ, session=glob.session,
                            ports=_fixed_ports)
    if loaded.errors or loaded.desired is None:
        raise ConfigError(loaded.diagnostics)
    result = kubernetes(loaded.desired, "external" if secrets == "external" else "inline",
                        _read_files(bind_sources(loaded.desired)))
    for diagnostic in [*loaded.diagnostics, *result.diagnostics]:
        echo(diagnostic.render(), err=True)
    for note in result.notes:
        echo(f"note: {note}", err=True)
    if not result.manifests:
        echo("note: nothing in the project maps to Kubernetes (see the warnings)", err=True)
    if output is None:
        echo(stream(result.manifests).rstrip("\n"))
    else:
        try:
            output.mkdir(parents=True, exist_ok=True)
            for name, text in files(result.manifests).items():
                (output / name).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write to {output}: {exc.strerror or exc}") from None
        echo(f"Wrote {len(result.manifests)} manifest(s) to {output}", err=True)
    if strict and result.unmapped:
        raise CliExit(1)
