"""Parsers of the Compose CLIs' output, on output captured once from the real v1 and v2 CLIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from reconciler.actuators.compose.cli import (
    ComposeCLI,
    detect_compose,
    exit_code_of,
    health_of,
    parse_config_errors,
    parse_config_hashes,
    parse_labels,
    parse_ps,
    parse_version,
)
from reconciler.config.compose_file import parse_compose_file
from reconciler.errors import Severity, TerminalError
from reconciler.model.changes import HealthStatus
from reconciler.transports.base import CommandResult

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize(("name", "expected"), [("v1_version.txt", "1.29.2"),
                                                ("v2_version.txt", "2.40.3")])
def test_parse_version(name: str, expected: str) -> None:
    assert parse_version(read(name)) == expected


def test_parse_version_of_garbage_is_none() -> None:
    assert parse_version("command not found") is None


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_parse_config_hashes(flavor: str) -> None:
    hashes = parse_config_hashes(read(f"{flavor}_config_hash.txt"))
    assert sorted(hashes) == ["web", "worker"]
    assert all(len(h) == 64 for h in hashes.values())


def test_parse_config_hashes_ignores_noise() -> None:
    text = "WARNING: something\nweb " + "a" * 64 + "\nbroken line\n"
    assert parse_config_hashes(text) == {"web": "a" * 64}


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_parse_ps_captured(flavor: str) -> None:
    rows = parse_ps(read(f"{flavor}_ps.jsonl"))
    assert [r.service for r in rows] == ["web", "worker"]
    web, worker = rows
    assert web.state == "running" and web.health is HealthStatus.HEALTHY
    assert web.exit_code is None
    assert worker.state == "exited" and worker.exit_code == 143
    assert web.config_files == ("/tmp/cc/compose.yaml",)
    assert web.working_dir == "/tmp/cc"
    assert web.project == ("ccapture" if flavor == "v1" else "ccapture2")
    hashes = parse_config_hashes(read(f"{flavor}_config_hash.txt"))
    assert web.config_hash == hashes["web"]  # the label matches what config --hash prints
    assert "127.0.0.1:" in web.ports


def test_parse_ps_skips_one_off_and_foreign_containers() -> None:
    lines = [
        '{"ID":"a","Names":"p-run-1","State":"running","Status":"Up 1 second",'
        '"Labels":"com.docker.compose.project=p,com.docker.compose.service=web,'
        'com.docker.compose.oneoff=True"}',
        '{"ID":"b","Names":"other","State":"running","Status":"Up 1 second","Labels":"x=y"}',
    ]
    assert parse_ps("\n".join(lines)) == []


def test_parse_labels_keeps_commas_inside_values() -> None:
    labels = parse_labels("a=1,com.docker.compose.project.config_files=/x/a.yml,/x/b.yml,b=2")
    assert labels == {"a": "1", "com.docker.compose.project.config_files": "/x/a.yml,/x/b.yml",
                      "b": "2"}


@pytest.mark.parametrize(("status", "code", "health"), [
    ("Up 3 seconds (healthy)", None, HealthStatus.HEALTHY),
    ("Up 3 seconds (unhealthy)", None, HealthStatus.UNHEALTHY),
    ("Up 1 second (health: starting)", None, HealthStatus.STARTING),
    ("Up 2 minutes", None, None),
    ("Exited (137) 5 seconds ago", 137, None),
])
def test_status_words(status: str, code: int | None, health: HealthStatus | None) -> None:
    assert exit_code_of(status) == code
    assert health_of(status) == health


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_config_errors_invalid_key_points_at_the_service(flavor: str) -> None:
    file = str(FIXTURES / "bad.yaml")
    doc, _ = parse_compose_file(Path(file))
    assert doc is not None
    found = parse_config_errors(read(f"{flavor}_config_invalid.txt"), [file], [doc])
    assert found and all(d.severity is Severity.ERROR for d in found)
    assert all(d.source is not None and d.source.file == file for d in found)
    ports = [d for d in found if "ports" in d.summary]
    assert ports and ports[0].source is not None and ports[0].source.line == 4


@pytest.mark.parametrize(("flavor", "line"), [("v1", 4), ("v2", 1)])
def test_config_errors_yaml_syntax_has_the_line(flavor: str, line: int) -> None:
    file = str(FIXTURES / "broken.yaml")
    found = parse_config_errors(read(f"{flavor}_config_yaml_error.txt"), [file])
    assert len(found) == 1
    assert found[0].source is not None
    assert (found[0].source.file, found[0].source.line) == (file, line)


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_config_errors_undefined_dependency(flavor: str) -> None:
    file = str(FIXTURES / "dep.yaml")
    doc, _ = parse_compose_file(Path(file))
    assert doc is not None
    found = parse_config_errors(read(f"{flavor}_config_bad_depends.txt"), [file], [doc])
    assert len(found) == 1 and "nope" in found[0].summary
    assert found[0].source is not None and found[0].source.line == 2  # the `web:` key


def test_config_warning_lines_are_warnings() -> None:
    stderr = 'time="x" level=warning msg="/p/compose.yaml: the attribute `version` is obsolete"'
    found = parse_config_errors(stderr, ["/p/compose.yaml"])
    assert [d.severity for d in found] == [Severity.WARNING]
    assert found[0].source is not None and found[0].source.file == "/p/compose.yaml"


class ScriptedTransport:
    """Answers commands from a table (argv prefix -> result); records what ran."""

    def __init__(self, host: str, answers: Mapping[tuple[str, ...], CommandResult]) -> None:
        self.host = host
        self.answers = answers
        self.ran: list[list[str]] = []

    @property
    def is_local(self) -> bool:
        return self.host == "local"

    def run(self, argv: Sequence[str], **_: object) -> CommandResult:
        self.ran.append(list(argv))
        for prefix, answer in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return answer
        return CommandResult(127, "", f"{argv[0]}: not found")


V2_OK = CommandResult(0, "2.40.3\n", "")
V1_OK = CommandResult(0, "1.29.2\n", "")


def detect(host: str, answers: Mapping[tuple[str, ...], CommandResult],
           forced: str = "") -> ComposeCLI:
    transport = ScriptedTransport(host, answers)
    return detect_compose(transport, {"RECONCILER_COMPOSE": forced})  # type: ignore[arg-type]


def test_detect_prefers_v2() -> None:
    cli = detect("t-both", {("docker", "compose"): V2_OK, ("docker-compose",): V1_OK})
    assert (cli.version, cli.argv, cli.release) == ("v2", ("docker", "compose"), "2.40.3")


def test_detect_falls_back_to_v1() -> None:
    cli = detect("t-v1", {("docker-compose",): V1_OK})
    assert (cli.version, cli.argv) == ("v1", ("docker-compose",))


def test_detect_standalone_v2_binary() -> None:
    cli = detect("t-standalone", {("docker-compose",): V2_OK})
    assert (cli.version, cli.argv) == ("v2", ("docker-compose",))


def test_detect_forced_v1() -> None:
    cli = detect("t-forced", {("docker", "compose"): V2_OK, ("docker-compose",): V1_OK}, "v1")
    assert cli.version == "v1"


def test_detect_none_is_a_terminal_error_with_a_hint() -> None:
    with pytest.raises(TerminalError) as caught:
        detect("t-none", {})
    assert "no Compose CLI" in caught.value.message and caught.value.hint


def test_detect_bad_forced_value() -> None:
    with pytest.raises(TerminalError):
        detect("t-bad", {}, "v3")


def test_project_args() -> None:
    cli = detect("t-args", {("docker", "compose"): V2_OK})
    args = cli.project_args("p", ["/a.yml", "/b.yml"], ["dev"], "/e.env")
    assert args == ["docker", "compose", "-p", "p", "-f", "/a.yml", "-f", "/b.yml",
                    "--profile", "dev", "--env-file", "/e.env"]
