"""The package actuator (kind ``package``): deploy a packed directory into ``install_path``.

Layout on the host (``install_path`` = P)::

    P/releases/<hash16>/         one directory per content hash (the extracted tarball)
    P/current -> releases/<hash16>      switched atomically (ln -sfn + mv -T)
    P/.reconciler-package.json   the marker: address, scope, version, content and spec hash

Observe reads every marker, ``current`` link and release list of one host in ONE command. Apply
packs the package (reconciler.model.packaging), checks that its content hash is still the planned
one, uploads it with ``transport.write_file`` and runs ONE script that extracts it into a new
release, runs the setup script there (with the service's env, secrets passed on stdin, never
on a command line), switches ``current`` only when setup succeeded, writes the marker and
keeps the ``keep`` newest old releases for rollback. Re-applying the current release re-runs
setup in place. An install_path whose marker belongs to another project or address is never
touched. Delete removes the whole install_path, only when its marker is ours.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.package.spec import PackageSpec
from reconciler.errors import TerminalError, TransientError
from reconciler.events import Event
from reconciler.model import packaging
from reconciler.model.changes import Action, Change, Health, HealthStatus, Observed, Status
from reconciler.model.secrets import Redactor, reveal_env
from reconciler.model.types import Address, Resource, canonical_json

MARKER = ".reconciler-package.json"
SECTION = "@@reconciler-package"
INSTALL_TIMEOUT = 900.0
FOREIGN_EXIT, SETUP_EXIT = 3, 4


class PackageActuator:
    """Packages on a host (local or SSH); see the module docstring for the layout."""

    kind = "package"

    # -- observe ----------------------------------------------------------------------------

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, object]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        paths: dict[Address, str] = {r.address: PackageSpec.of(r.spec).install_path
                                     for r in desired if r.kind == self.kind}
        for address, facts in recorded.items():
            if address.kind == self.kind and facts.get("install_path"):
                paths.setdefault(address, str(facts["install_path"]))
        targets = sorted((a, p) for a, p in paths.items() if p.startswith("/"))
        if not targets:
            return {}
        done = ctx.transport.run(["sh", "-c", observe_script([p for _, p in targets])],
                                 timeout=60)
        if not done.ok:
            raise TransientError(f"cannot read installed packages on {ctx.transport.host}: "
                                 f"{done.stderr.strip()[-300:]}")
        found = parse_observe(done.stdout)
        result: dict[Address, Observed] = {}
        for index, (address, path) in enumerate(targets):
            seen = observed_of(address, path, found.get(index, {}), ctx.scope,
                               adopted=address not in recorded)
            if seen is not None:
                result[address] = seen
        return result

    # -- apply ------------------------------------------------------------------------------

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        if change.action is Action.DELETE or resource is None:
            self._delete(change, ctx)
            return None
        return self._install(resource, ctx)

    def _install(self, resource: Resource, ctx: ActuatorContext) -> Observed:
        spec = PackageSpec.of(resource.spec)
        package, problems = packaging.load(Path(spec.package))
        if package is None:
            raise TerminalError(f"package {spec.package}: {problems[0].summary}",
                                hint=problems[0].hint)
        if package.content_hash != spec.content_hash:
            raise TerminalError("the package changed on disk since the plan was made",
                                hint="run `reconciler plan` again and review the new plan")
        path = spec.install_path
        release = packaging.release_name(package.content_hash)
        upload = f"{path}/releases/.upload-{release}.tar.gz"
        ctx.transport.write_file(upload, package.tarball(), 0o600)
        marker = {"address": str(resource.address), "scope": ctx.scope,
                  "name": package.manifest.name, "version": spec.version,
                  "content_hash": package.content_hash, "spec_hash": resource.hash(),
                  "release": release}
        script = install_script(path, release, upload, marker, package.setup_argv(),
                                package.manifest.keep)
        env = reveal_env(dict(spec.env), resource.secrets)
        redact = Redactor(resource.secrets.values())
        _log(ctx, resource.address, f"installing {package.manifest.name} {marker['version']} "
             f"into {path}/releases/{release}")
        done = ctx.transport.run(["sh", "-c", script], input=env_input(env).encode(),
                                 timeout=INSTALL_TIMEOUT)
        output = redact((done.stdout + done.stderr).strip())
        if not done.ok:
            message, hint = _failure(done.returncode, resource.address, path, output)
            raise TerminalError(message, hint=hint)
        for line in output.splitlines()[-20:]:
            if not line.startswith(SECTION):
                _log(ctx, resource.address, line)
        found = parse_observe(done.stdout).get(0, {})
        seen = observed_of(resource.address, path, found, ctx.scope, adopted=False)
        if seen is None or not seen.running:
            raise TerminalError(f"{resource.address}: the install did not take effect in {path}",
                                hint="check the host's disk space and permissions")
        return seen

    def _delete(self, change: Change, ctx: ActuatorContext) -> None:
        before = change.before or {}
        path = str(before.get("install_path") or "")
        if not path.startswith("/"):
            return
        seen = self.observe([], {change.address: {"install_path": path}}, ctx)
        if change.address not in seen:
            return  # gone already, or not ours: never touched
        done = ctx.transport.run(["rm", "-rf", "--", path], timeout=120)
        if not done.ok:
            raise TerminalError(f"cannot remove {path}: {done.stderr.strip()[-300:]}",
                                hint="check the permissions of the install path")

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        if observed.running:
            return Health(HealthStatus.HEALTHY, f"release {observed.facts.get('release')}")
        return Health(HealthStatus.UNHEALTHY, observed.reason or "not installed")


def _log(ctx: ActuatorContext, address: Address, line: str) -> None:
    ctx.events(Event("node.log", str(address), line))


def _failure(code: int, address: Address, path: str, output: str) -> tuple[str, str]:
    tail = output[-600:]
    if code == FOREIGN_EXIT:
        return (f"{path} holds a package that {address} does not own: {tail}",
                "choose another install_path, or remove that install by hand")
    if code == SETUP_EXIT:
        return (f"the setup script of {address} failed; the previous release stays live: "
                f"{tail}", "fix the setup script and apply again")
    return (f"installing {address} into {path} failed (exit {code}): {tail}",
            "check that the host has sh, tar and gzip, and that the path is writable")


# -- remote scripts and their output (pure) -------------------------------------------------


def observe_script(paths: Sequence[str]) -> str:
    """One shell script that prints marker, current link and releases of every path."""
    parts = []
    for index, path in enumerate(paths):
        parts.append(_report(index, shlex.quote(path)))
    return "\n".join(parts) + "\n"


def _report(index: int, p: str) -> str:
    return (f"printf '%s\\n' '{SECTION} {index}'\n"
            f"if [ -f {p}/{MARKER} ]; then printf 'marker '; head -n 1 {p}/{MARKER}; echo; fi\n"
            f"printf 'current %s\\n' \"$(readlink {p}/current 2>/dev/null)\"\n"
            f"for r in {p}/releases/*; do [ -d \"$r\" ] && printf 'release %s\\n' \"${{r##*/}}\";"
            " done; true")


def install_script(path: str, release: str, upload: str, marker: Mapping[str, object],
                   setup: list[str] | None, keep: int) -> str:
    """The install: foreign check, extract, setup, atomic switch, marker, prune, report."""
    p, rel, up = shlex.quote(path), shlex.quote(release), shlex.quote(upload)
    scope = shlex.quote(f'"scope":{json.dumps(marker["scope"])}')
    address = shlex.quote(f'"address":{json.dumps(marker["address"])}')
    setup_line = ""
    if setup:
        run = " ".join(shlex.quote(a) for a in setup)
        setup_line = (f'(cd "releases/$rel" && eval "$envs" && exec {run} </dev/null) '
                      f"|| {{ echo \"setup failed (exit $?)\" >&2; exit {SETUP_EXIT}; }}\n")
    return (
        "set -eu\nenvs=$(cat)\n"
        f"rel={rel}\ncd {p}\n"
        f"if [ -f {MARKER} ] && ! {{ grep -qF {scope} {MARKER} && grep -qF {address} {MARKER}; }};"
        f" then rm -f {up}; echo \"owned by: $(head -c 300 {MARKER})\" >&2; exit {FOREIGN_EXIT};"
        " fi\n"
        'if [ "$(readlink current 2>/dev/null || true)" != "releases/$rel" ] '
        '|| [ ! -d "releases/$rel" ]; then\n'
        '  rm -rf "releases/$rel"; mkdir -p "releases/$rel"\n'
        f'  tar -xzf {up} -C "releases/$rel"\nfi\nrm -f {up}\n'
        f"{setup_line}"
        'ln -sfn "releases/$rel" .current.tmp && mv -Tf .current.tmp current\n'
        'touch "releases/$rel"\n'
        f"printf '%s\\n' {shlex.quote(canonical_json(dict(marker)))} > .marker.tmp\n"
        f"mv -f .marker.tmp {MARKER}\n"
        f'ls -1t releases | grep -vx "$rel" | tail -n +{keep + 1} | '
        'while IFS= read -r old; do rm -rf "releases/$old"; done\n'
        + _report(0, ".") + "\n")


def env_input(env: Mapping[str, str]) -> str:
    """``export K='v'`` lines: the setup script's env, read from stdin by the install."""
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items())
                   if k.isidentifier())


def parse_observe(stdout: str) -> dict[int, dict[str, Any]]:
    """The report of :func:`observe_script` as {index: {marker, current, releases}}."""
    found: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in stdout.splitlines():
        if line.startswith(SECTION + " "):
            current = found.setdefault(int(line.split()[1]), {"releases": []})
        elif current is None:
            continue
        elif line.startswith("marker "):
            try:
                marker = json.loads(line[7:])
            except ValueError:
                marker = None
            current["marker"] = marker if isinstance(marker, dict) else None
        elif line.startswith("current "):
            current["current"] = line[8:].strip()
        elif line.startswith("release "):
            current["releases"].append(line[8:].strip())
    return found


def observed_of(address: Address, path: str, found: Mapping[str, Any], scope: str, *,
                adopted: bool) -> Observed | None:
    """An Observed for one install path, or None when nothing of ours is installed there."""
    marker = found.get("marker")
    if not isinstance(marker, dict) or marker.get("scope") != scope \
            or marker.get("address") != str(address):
        return None
    release = str(marker.get("release") or "")
    releases = sorted(found.get("releases") or [])
    facts = {"install_path": path, "release": release, "releases": releases,
             "version": marker.get("version"), "content_hash": marker.get("content_hash")}
    spec_hash = marker.get("spec_hash") if isinstance(marker.get("spec_hash"), str) else None
    if found.get("current") != f"releases/{release}" or release not in releases:
        return Observed(address, Status.EXITED, spec_hash, facts=facts, adopted=adopted,
                        reason="current release is missing (removed by hand?)")
    return Observed(address, Status.RUNNING, spec_hash, facts=facts, adopted=adopted)
