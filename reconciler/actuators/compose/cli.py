"""Driving the Compose CLI: v2 (``docker compose``) or v1 (``docker-compose``).

Two halves kept apart: pure parsers of what the CLIs print (``version``, ``config --hash``,
``docker ps --format '{{json .}}'``, ``config -q`` errors), tested on captured output; and
:class:`ComposeCLI`, which runs commands through a Transport. :func:`detect_compose` picks
the CLI: ``RECONCILER_COMPOSE=v1|v2`` forces one, else v2 when ``docker compose version``
answers, else ``docker-compose`` (v1, or a standalone v2 binary).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.config.compose_file import load_compose_files
from reconciler.config.raw import RawDocument
from reconciler.errors import Diagnostic, SourceRange, TerminalError, error, warning
from reconciler.model.changes import HealthStatus
from reconciler.transports.base import CommandResult, Transport

Version = Literal["v1", "v2"]
LABEL = "com.docker.compose"

# -- pure parsers --------------------------------------------------------------------------


def parse_version(stdout: str) -> str | None:
    """``2.40.3`` from ``docker compose version`` / ``docker-compose version`` output."""
    found = re.search(r"v?(\d+\.\d+\.\d+[\w.+-]*)", stdout)
    return found.group(1) if found else None


def parse_config_hashes(stdout: str) -> dict[str, str]:
    """``config --hash='*'`` output (``service hash`` lines) as {service: hash}."""
    hashes: dict[str, str] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r"[0-9a-f]{64}", parts[1]):
            hashes[parts[0]] = parts[1]
    return hashes


def parse_labels(text: str) -> dict[str, str]:
    """``docker ps`` ``Labels`` (``k=v,k=v``); a comma inside a value stays in the value."""
    labels: dict[str, str] = {}
    last: str | None = None
    for piece in text.split(",") if text else []:
        key, eq, value = piece.partition("=")
        if eq and re.fullmatch(r"[\w.\-/]+", key):
            labels[key] = value
            last = key
        elif last is not None:
            labels[last] += "," + piece
    return labels


def exit_code_of(status: str) -> int | None:
    """143 from ``Exited (143) 2 seconds ago``."""
    found = re.match(r"Exited \((-?\d+)\)", status)
    return int(found.group(1)) if found else None


def health_of(status: str) -> HealthStatus | None:
    """The engine health in a ``docker ps`` Status: ``Up 5 seconds (healthy)``."""
    if "(healthy)" in status:
        return HealthStatus.HEALTHY
    if "(unhealthy)" in status:
        return HealthStatus.UNHEALTHY
    if "(health: starting)" in status:
        return HealthStatus.STARTING
    return None


@dataclass(frozen=True, slots=True)
class PsRow:
    """One Compose container as ``docker ps -a --format '{{json .}}'`` shows it."""

    id: str
    name: str
    project: str
    service: str
    config_hash: str
    state: str          # running | exited | created | restarting | paused | dead
    status: str         # "Up 3 seconds (healthy)", "Exited (1) 2 seconds ago"
    number: int = 1
    oneoff: bool = False
    config_files: tuple[str, ...] = ()
    working_dir: str = ""
    image: str = ""
    ports: str = ""

    @property
    def exit_code(self) -> int | None:
        return exit_code_of(self.status)

    @property
    def health(self) -> HealthStatus | None:
        return health_of(self.status)


def parse_ps(stdout: str) -> list[PsRow]:
    """Every Compose-managed, non-one-off container in ``docker ps`` JSON-lines output."""
    rows: list[PsRow] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        labels = parse_labels(str(item.get("Labels") or ""))
        service = labels.get(f"{LABEL}.service")
        if service is None:
            continue
        files = labels.get(f"{LABEL}.project.config_files", "")
        status = str(item.get("Status", ""))
        state = str(item.get("State") or ("running" if status.startswith("Up") else "exited"))
        number = labels.get(f"{LABEL}.container-number", "1")
        rows.append(PsRow(
            id=str(item.get("ID", "")), name=str(item.get("Names", "")),
            project=labels.get(f"{LABEL}.project", ""), service=service,
            config_hash=labels.get(f"{LABEL}.config-hash", ""), state=state, status=status,
            number=int(number) if number.isdigit() else 1,
            oneoff=labels.get(f"{LABEL}.oneoff", "False").lower() == "true",
            config_files=tuple(f for f in files.split(",") if f),
            working_dir=labels.get(f"{LABEL}.project.working_dir", ""),
            image=str(item.get("Image", "")), ports=str(item.get("Ports", ""))))
    rows = [r for r in rows if not r.oneoff]
    return sorted(rows, key=lambda r: (r.service, r.number, r.name))


# -- running the CLI -----------------------------------------------------------------------


@dataclass(frozen=True)
class ComposeCLI:
    """One Compose CLI on one transport: ``argv`` is ``docker compose`` or ``docker-compose``."""

    version: Version
    argv: tuple[str, ...]
    release: str
    transport: Transport

    def project_args(self, project: str, files: Sequence[str], profiles: Sequence[str] = (),
                     env_file: str | None = None) -> list[str]:
        args = [*self.argv, "-p", project]
        for file in files:
            args += ["-f", file]
        for profile in profiles:
            args += ["--profile", profile]
        if env_file:
            args += ["--env-file", env_file]
        return args

    def run(self, args: Sequence[str], *, timeout: float | None = 600.0) -> CommandResult:
        """Run a full argv (built from :meth:`project_args`); never raises on failure."""
        quiet = {"COMPOSE_INTERACTIVE_NO_CLI": "1", "COMPOSE_ANSI": "never",
                 "COMPOSE_PROGRESS": "plain"}
        env = {**os.environ, **quiet} if self.transport.is_local else quiet
        return self.transport.run(list(args), env=env, timeout=timeout)

    def config_hashes(self, project: str, files: Sequence[str], profiles: Sequence[str] = (),
                      env_file: str | None = None) -> CommandResult:
        return self.run([*self.project_args(project, files, profiles, env_file),
                         "config", "--hash=*"], timeout=120.0)


def list_containers(transport: Transport, project: str) -> list[PsRow]:
    """ONE ``docker ps -a`` for every container of Compose project ``project``."""
    result = transport.run(["docker", "ps", "-a", "--no-trunc", "--filter",
                            f"label={LABEL}.project={project}", "--format", "{{json .}}"],
                           timeout=60.0)
    if not result.ok:
        raise TerminalError(f"docker ps failed: {result.stderr.strip() or result.stdout}",
                            hint="is the Docker daemon running? (`docker info`)")
    return [r for r in parse_ps(result.stdout) if r.project == project]


# (host, forced) -> what was found there; detection costs a process start, so it runs once
_detected: dict[tuple[str, str], tuple[Version, tuple[str, ...], str]] = {}


def _probe(transport: Transport, argv: tuple[str, ...]) -> str | None:
    result = transport.run([*argv, "version", "--short"], timeout=30.0)
    return parse_version(result.stdout) if result.ok else None


def detect_compose(transport: Transport, environ: Mapping[str, str] | None = None) -> ComposeCLI:
    """The Compose CLI to use on ``transport`` (cached); TerminalError when there is none."""
    forced = (os.environ if environ is None else environ).get("RECONCILER_COMPOSE", "").lower()
    if forced not in ("", "v1", "v2"):
        raise TerminalError(f"RECONCILER_COMPOSE={forced!r} is not understood",
                            hint="use RECONCILER_COMPOSE=v1 or RECONCILER_COMPOSE=v2")
    key = (transport.host, forced)
    if key in _detected:
        return ComposeCLI(*_detected[key], transport)
    found: ComposeCLI | None = None
    if forced in ("", "v2"):
        release = _probe(transport, ("docker", "compose"))
        if release is not None and not release.startswith("1."):
            found = ComposeCLI("v2", ("docker", "compose"), release, transport)
    if found is None:
        release = _probe(transport, ("docker-compose",))
        if release is not None:
            kind: Version = "v1" if release.startswith("1.") else "v2"
            if forced in ("", kind):
                found = ComposeCLI(kind, ("docker-compose",), release, transport)
    if found is None:
        wanted = {"v1": "docker-compose (v1)", "v2": "docker compose (v2)"}.get(
            forced, "docker compose (v2) or docker-compose (v1)")
        raise TerminalError(f"no Compose CLI found on host {transport.host}: need {wanted}",
                            hint="install the Compose plugin (docker-compose-plugin) or "
                                 "docker-compose, or unset RECONCILER_COMPOSE")
    _detected[key] = (found.version, found.argv, found.release)
    return found


# -- validation through `config -q` ---------------------------------------------------------

_AT_LINE = re.compile(r'(?:in "([^"]+)", )?line (\d+)(?:, column (\d+))?')
_SERVICE_KEY = re.compile(r"services\.([\w.-]+?)(?:\.(\w+))?(?=[\s:'\"]|$)")
_SERVICE_NAME = re.compile(r"[Ss]ervice [\"']([\w.-]+)[\"']")


def _file_of(text: str, files: Sequence[str]) -> str:
    for file in files:
        if file in text or f"/{os.path.basename(file)}" in text:
            return file
    return files[0] if files else ""


def _locate(text: str, file: str, docs: Sequence[RawDocument]) -> SourceRange:
    key = _SERVICE_KEY.search(text)
    name = _SERVICE_NAME.search(text)
    path: tuple[str, ...] = ()
    if key:
        path = ("services", key.group(1), *((key.group(2),) if key.group(2) else ()))
    elif name:
        path = ("services", name.group(1))
    for doc in docs:
        if path and ("services", path[1]) in doc.positions:
            return doc.where(*path)
    return SourceRange(file, 1, 1) if file else SourceRange("compose")


def parse_config_errors(stderr: str, files: Sequence[str],
                        docs: Sequence[RawDocument] = ()) -> list[Diagnostic]:
    """Diagnostics from the stderr of ``config -q`` (v1 or v2): each with its file, and the
    line of the YAML error or of the service the message names (found in ``docs``)."""
    found: list[Diagnostic] = []
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors: list[str] = []
    for line in lines:
        note = re.search(r'level=warning msg="(.*)"', line)
        if note:
            message = note.group(1)
            found.append(warning(message, _locate(message, _file_of(message, files), docs)))
        else:
            errors.append(line)
    marks = [m for line in errors for m in _AT_LINE.finditer(line)]
    if marks:
        mark = marks[-1]
        file = _file_of(mark.group(1) or "\n".join(errors), files)
        summary = "; ".join(e for e in errors if not e.startswith("in ")
                            and not e.startswith("yaml.")) or errors[-1]
        found.append(error(f"compose config: {summary}",
                           SourceRange(file, int(mark.group(2)), int(mark.group(3) or 0)),
                           hint="fix the YAML syntax at this position"))
        return found
    file = _file_of("\n".join(errors), files)
    for line in errors:
        header = re.match(r"The Compose file '(.+)' is invalid because:", line)
        if header:
            file = _file_of(header.group(1), files)
            continue
        found.append(error(f"compose config: {line}", _locate(line, file, docs),
                           hint="see the Compose file reference for this key"))
    return found


def compose_config_diagnostics(files: Sequence[str], compose: ComposeCLI, *,
                               profiles: Sequence[str] = (), env_file: str | None = None,
                               project: str | None = None, timeout: float = 120.0,
                               ) -> list[Diagnostic]:
    """``config -q``'s complaints on ``files`` as diagnostics (none when it times out)."""
    args = [*compose.argv, *(["-p", project] if project else []),
            *(a for f in files for a in ("-f", f)),
            *(a for p in profiles for a in ("--profile", p)),
            *(["--env-file", env_file] if env_file else []), "config", "-q"]
    result = compose.run(args, timeout=timeout)
    if "(timed out after" in result.stderr or (result.ok and "level=warning" not in result.stderr):
        return []
    docs, _ = load_compose_files([Path(f) for f in files])
    found = parse_config_errors(result.stderr, files, docs)
    if not result.ok and not any(d.severity.value == "error" for d in found):
        found.append(error(f"compose config failed (exit {result.returncode})",
                           SourceRange(files[0]) if files else None))
    return found
