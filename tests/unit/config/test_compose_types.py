"""Compose files are checked against the Compose specification's types, as `docker compose
config` checks them: every problem at file:line:col with a hint, never an exception.

Each shape here validated (or crashed) before the check existed: `depends_on` as a bare string
raised AttributeError; `ports: 80`, `environment: 5`, `healthcheck: yes`, a missing
`env_file`, a volume or an integer empty after interpolation and an override file alone all
validated with no error and failed later in Compose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Run
from testing import FakeHost

from reconciler.config import load
from reconciler.model.build import build
from reconciler.model.types import Address

GOOD = (Path(__file__).parent / "fixtures/compose_every_shape.yaml").read_text()


def test_a_compose_file_of_every_valid_shape_passes(run: Run) -> None:
    result = run({"compose.yaml": GOOD})
    assert result.errors == []
    web = result.resource("compose.compose.web")
    assert web.health is not None and web.health.retries == 4
    assert web.spec["definition"]["ports"] == ["127.0.0.1::80", "8080", "9081:81/udp"]


@pytest.mark.parametrize(("line", "expected"), [
    ("depends_on: cond_started", "compose.yaml:4:5: error: services.web.depends_on must be a "
                                 "list of service names or a mapping of them, not a string"),
    ("ports: 80", "compose.yaml:4:5: error: services.web.ports must be a list, not an integer"),
    ("environment: 5", "compose.yaml:4:5: error: services.web.environment must be a mapping "
                       "(`KEY: value`) or a list of `KEY=value` strings, not an integer"),
    ("healthcheck: yes", "compose.yaml:4:5: error: services.web.healthcheck must be a mapping"),
    ("depends_on: {db: {}}", "compose.yaml:4:18: error: services.web.depends_on.db.condition "
                             "must be present"),
    ("comand: [x]", "compose.yaml:4:5: error: unknown Compose service key "
                    "'services.web.comand'\n  hint: did you mean 'command'?"),
    ("healthcheck: {test: x, interval: 5}", "compose.yaml:4:28: error: services.web."
                                            "healthcheck.interval must be a string"),
])
def test_a_wrong_type_is_an_error_at_its_position(run: Run, line: str, expected: str) -> None:
    text = f"services:\n  web:\n    image: busybox:1\n    {line}\n  db: {{image: busybox:1}}\n"
    result = run({"compose.yaml": text})
    assert len(result.errors) == 1, result.errors
    assert result.errors[0].startswith(expected)
    assert "\n  hint: " in result.errors[0]


def test_a_bare_string_depends_on_never_raises_and_keeps_the_service(run: Run) -> None:
    result = run({"compose.yaml": "services:\n  web:\n    image: busybox:1\n"
                                  "    depends_on: cond_started\n"})
    assert [e.splitlines()[1] for e in result.errors] == [
        "  hint: a list of service names (`depends_on: [db]`) or a mapping "
        "(`db: {condition: service_healthy}`)"]
    assert result.resource("compose.compose.web").depends_on == ()


def test_values_empty_after_interpolation_are_errors(run: Run) -> None:
    text = ("services:\n  web:\n    image: busybox:1\n"
            "    volumes: [\"${UPLOAD_LOCATION}:/data\"]\n"
            "    healthcheck: {test: [CMD, 'true'], retries: \"${RETRIES}\"}\n")
    result = run({"compose.yaml": text}, env={})
    assert [e.splitlines()[0] for e in result.errors] == [
        "compose.yaml:4:15: error: services.web.volumes.0 must be non-empty on both sides of "
        "every `:` (got ':/data': empty section between colons)",
        "compose.yaml:5:40: error: services.web.healthcheck.retries must be an integer, "
        "not a string"]
    assert all("is unset or empty here" in e for e in result.errors)
    fine = run({"compose.yaml": text}, env={"UPLOAD_LOCATION": "/srv", "RETRIES": "7"})
    assert fine.errors == []
    assert fine.resource("compose.compose.web").health.retries == 7


def test_a_missing_env_file_is_an_error_unless_optional(run: Run) -> None:
    text = ("services:\n  web:\n    image: busybox:1\n    env_file: [web.env, "
            "{path: extra.env, required: false}]\n")
    result = run({"compose.yaml": text})
    assert [e.splitlines()[0] for e in result.errors] == [
        "compose.yaml:4:16: error: service 'web': env file web.env not found"]
    assert run({"compose.yaml": text, "web.env": "A=1\n"}).errors == []


def test_env_files_are_asked_of_the_host(tmp_path: Path) -> None:
    """Whether an env file exists is a host fact: the build itself reads nothing."""
    text = "services:\n  web:\n    image: busybox:1\n    env_file: web.env\n"
    (tmp_path / "compose.yaml").write_text(text)
    docs, _ = load(tmp_path)
    missing = FakeHost(files={tmp_path / "compose.yaml": text})
    _, found = build(docs, env={}, host=missing)
    assert [d.summary for d in found] == ["service 'web': env file web.env not found"]
    assert f"exists {tmp_path / 'web.env'}" in missing.asked
    present = FakeHost(files={tmp_path / "compose.yaml": text, tmp_path / "web.env": ""})
    state, found = build(docs, env={}, host=present)
    assert found == [] and Address("compose", "compose.web") in state.resources


def test_an_override_file_alone_is_an_error(run: Run) -> None:
    result = run({"services.yaml": "services: {app: {type: compose, "
                                   "files: [compose.override.yaml]}}\n",
                  "compose.override.yaml": "services:\n  web:\n    ports: [\"80\"]\n"})
    assert [e.splitlines()[0] for e in result.errors] == [
        f"{Path('compose.override.yaml').resolve()}:2:3: error: service 'web' has neither "
        "an image nor a build context"]


def test_a_dependency_on_a_service_outside_the_profiles_is_an_error(run: Run) -> None:
    """Compose refuses it ("depends on undefined service"); it was only a warning."""
    text = ("services:\n  web:\n    image: busybox:1\n    depends_on: [db]\n"
            "  db: {image: busybox:1, profiles: [jobs]}\n")
    result = run({"compose.yaml": text})
    assert [e.splitlines()[0] for e in result.errors] == [
        "compose.yaml:4:18: error: service 'web' depends on 'db', which no selected profile "
        "enables"]
    optional = text.replace("[db]", "{db: {condition: service_started, required: false}}")
    assert run({"compose.yaml": optional}).errors == []


def test_a_wrong_image_is_one_error(run: Run) -> None:
    result = run({"compose.yaml": "services:\n  web:\n    image: 5\n"})
    assert [e.splitlines()[0] for e in result.errors] == [
        "compose.yaml:3:5: error: services.web.image must be a string, not an integer"]
