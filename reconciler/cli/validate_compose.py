"""``reconciler validate``'s extra Compose check: the Compose CLI's own ``config -q``.

The pure checks (reconciler/config/compose_types.py and reconciler/model/compose.py) catch
the shapes and values Compose refuses without Docker. Where a Compose CLI exists, validate
also asks it (:func:`~reconciler.actuators.compose.cli.compose_config_diagnostics`), once
per Compose project of the build, each call bounded by :data:`TIMEOUT` seconds, and maps
its messages onto the files' lines. No CLI (or one that does not answer in time) skips this
check: validate works without Docker. Compose's "variable is not set" warnings are dropped
(the pure checks already report them, with positions).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import Diagnostic, ReconcilerError, Severity
from reconciler.model.types import DesiredState

TIMEOUT = 20.0  # seconds per `config -q`
_NOT_SET = "variable is not set"


def _projects(desired: DesiredState) -> Iterable[tuple[tuple[str, ...], tuple[str, ...],
                                                      str | None, str]]:
    seen: set[tuple[tuple[str, ...], tuple[str, ...], str | None, str]] = set()
    for resource in desired.resources.values():
        if resource.address.kind != "compose":
            continue
        spec: Mapping[str, Any] = resource.spec  # a compose spec (ComposeFields)
        key = (tuple(spec["files"]), tuple(spec.get("profiles") or ()), spec.get("env_file"),
               str(spec["project"]))
        if key not in seen:
            seen.add(key)
            yield key


def compose_cli_diagnostics(desired: DesiredState,
                            environ: Mapping[str, str] | None = None,
                            timeout: float = TIMEOUT) -> list[Diagnostic]:
    """What the Compose CLI says about every Compose project of ``desired``; empty when
    there is none, or no Compose CLI on this machine."""
    projects = list(_projects(desired))
    if not projects:
        return []
    from reconciler.actuators.compose.cli import compose_config_diagnostics, detect_compose
    from reconciler.transports.local import LocalTransport

    try:
        cli = detect_compose(LocalTransport(), os.environ if environ is None else environ)
    except ReconcilerError:  # no Compose CLI here: the pure checks are all we have
        return []
    found: list[Diagnostic] = []
    for files, profiles, env_file, project in projects:
        found += [d for d in compose_config_diagnostics(files, cli, profiles=profiles,
                                                        env_file=env_file, project=project,
                                                        timeout=timeout)
                  if d.severity is Severity.ERROR or _NOT_SET not in d.summary]
    return found
