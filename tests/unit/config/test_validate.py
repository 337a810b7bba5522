"""validate.check: schema errors and per-type rules, with exact positions and hints."""

from __future__ import annotations

import shutil
from pathlib import Path

from cfg_testlib import write

from reconciler.actuators.schema import generate
from reconciler.config import load
from reconciler.config.schema_export import dumps
from reconciler.errors import Severity
from reconciler.validate.checker import SCHEMA_DIR, check

EXAMPLES = Path("/work/shared/examples")
REPO_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _messages(tmp_path: Path, files: dict[str, str]) -> list[str]:
    write(tmp_path, files)
    docs, diagnostics = load(tmp_path)
    return [d.render().replace(f"{tmp_path}/", "") for d in diagnostics + check(docs)]


def test_checked_in_schemas_equal_the_generated_ones() -> None:
    for name, schema in generate().items():
        assert (SCHEMA_DIR / name).read_text() == dumps(schema), f"{name} drifted: just schemas"


def test_editor_schemas_are_the_package_data() -> None:
    """schemas/ (for editors) and the package's copy (what validate uses) hold the same files."""
    top = REPO_EXAMPLES.parent / "schemas"
    names = sorted(p.name for p in top.glob("*.json"))
    assert names == sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
    assert len(names) == 4
    for name in names:
        assert (top / name).read_bytes() == (SCHEMA_DIR / name).read_bytes(), name


def test_generated_schemas_snapshot(snapshot: object) -> None:
    assert generate() == snapshot


def test_shared_examples_load_unchanged_with_at_most_warnings(tmp_path: Path) -> None:
    for name in ("services.yaml", "locald.toml"):
        if not (EXAMPLES / name).exists():  # the shared folder is beside the repo
            continue
        project = tmp_path / name.split(".")[0]
        project.mkdir()
        shutil.copy(EXAMPLES / name, project / name)
        docs, diagnostics = load(project)
        diagnostics += check(docs)
        assert [d.render() for d in diagnostics if d.severity is Severity.ERROR] == []


def test_quickstart_example_is_valid() -> None:
    docs, diagnostics = load(REPO_EXAMPLES / "quickstart")
    assert diagnostics + check(docs) == []


def test_unknown_keys_are_reported_with_position_and_suggestion(tmp_path: Path) -> None:
    messages = _messages(tmp_path, {"services.yaml": """
        services:
          api:
            type: process
            binar: python3
            health_check:
              tcp: {port: 80, timout: 3}
        setings: {}
        """})
    assert messages == [
        "services.yaml:2:3: error: process service 'api' needs 'binary' or 'command'",
        "services.yaml:4:5: error: unknown key 'binar' in services.api\n"
        "  hint: did you mean 'binary'?",
        "services.yaml:6:23: error: unknown key 'timout' in services.api.health_check.tcp\n"
        "  hint: did you mean 'timeout'?",
        "services.yaml:7:1: error: unknown key 'setings'\n"
        "  hint: did you mean 'settings'?",
    ]


def test_wrong_types_and_enums(tmp_path: Path) -> None:
    messages = _messages(tmp_path, {"services.yaml": """
        settings: {log_level: loud, startup_timeout: soon}
        services:
          api: {type: proces, binary: x, env: {A: [1]}, port: 70.5}
        """})
    assert messages == [
        'services.yaml:1:12: error: settings.log_level: invalid value "loud"\n'
        '  hint: expected one of: "debug", "info", "warning", "error", "critical"',
        'services.yaml:1:29: error: settings.startup_timeout: expected number, got string',
        'services.yaml:3:9: error: services.api.type: invalid value "proces"\n'
        "  hint: did you mean 'process'?",
        "services.yaml:3:40: error: services.api.env.A: expected string or integer or number"
        " or boolean or mapping, got list",
        'services.yaml:3:49: error: services.api.port: expected "auto" or string or integer,'
        " got number",
    ]


def test_per_type_rules_flat_and_nested(tmp_path: Path) -> None:
    messages = _messages(tmp_path, {"services.yaml": """
        services:
          db: {type: docker, binary: x}
          api: {type: process, binary: a, command: b}
          nested:
            target: {type: process, binary: x}
            image: y
          pkg: {type: package, host: h}
          r: {type: remote, command: x, args: [a]}
        tasks:
          t: {type: package, package: p, host: h}
        """})
    assert messages == [
        "services.yaml:2:3: error: docker service 'db' needs 'image'",
        "services.yaml:2:22: error: key 'binary' does not apply to a docker service\n"
        '  hint: it applies to: process, remote',
        "services.yaml:3:35: error: 'api' has both 'binary' and 'command'\n"
        "  hint: use 'binary' + 'args', or one 'command' shell string",
        "services.yaml:6:5: error: 'image' belongs inside 'target:' when 'target' is used\n"
        "  hint: move 'image' under target:",
        "services.yaml:7:3: error: package service 'pkg' needs 'install_path'",
        "services.yaml:7:3: error: package service 'pkg' needs 'package'",
        "services.yaml:8:3: error: remote service 'r' needs 'host'",
        "services.yaml:8:33: error: 'r' has 'args' without 'binary'",
        "services.yaml:10:3: error: task 't' cannot have type 'package'\n"
        '  hint: tasks are process, docker or remote commands',
    ]


def test_locald_rules_warnings_and_errors(tmp_path: Path) -> None:
    messages = _messages(tmp_path, {"locald.toml": """
        [project]
        name = "p"
        domain = "p.localhost"

        [services.a]
        type = "worker"
        image = "x"

        [services.b]
        type = "containr"

        [services.c]
        command = "x"
        stop_signal = "SIGFOO"
        [services.c.build]
        dockerfile = "Dockerfile"

        [services.d]
        type = "site"
        """})
    assert messages == [
        "locald.toml:3:1: warning: 'domain' is accepted but ignored: reconciler runs no local"
        " DNS or proxy\n"
        '  hint: services are reached on 127.0.0.1:$PORT',
        "locald.toml:5:2: error: locald 'worker' service 'a' needs 'command'",
        "locald.toml:7:1: error: key 'image' does not apply to a locald 'worker' service\n"
        '  hint: it applies to: container, exec',
        'locald.toml:10:1: error: services.b.type: invalid value "containr"\n'
        "  hint: did you mean 'container'?",
        "locald.toml:14:1: error: unknown stop signal 'SIGFOO'\n"
        '  hint: one of: SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH',
        "locald.toml:15:2: warning: 'c': [services.c.build] is not supported yet and is ignored",
        "locald.toml:18:2: error: locald 'site' service 'd' needs 'path'",
        "locald.toml:19:1: warning: 'd': type 'site' runs as a static HTTP server process"
        " (python3 -m http.server)",
    ]


def test_bad_file_renders_snapshot(tmp_path: Path, snapshot: object) -> None:
    messages = _messages(tmp_path, {"services.yaml": """
        version: "1.0"
        name: bad
        services:
          web:
            type: process
            binary: python3
            args: ["-m", "http.server"]
            envv: {A: 1}
            depends_on: {api: {condition: service_ready}}
          api:
            type: docker
            ports: ["80:80", 81]
            health_check: {http: 5, interval: fast}
          "bad.name": {command: x}
        networks:
          lab: {type: lan, nodes: [{host: 198.18.0.2}]}
        """})
    assert "\n".join(messages) == snapshot
