"""ProcessSpec.of: the typed view the process and task actuators read a built spec through."""

from __future__ import annotations

from reconciler.actuators.local_run.spec import ProcessSpec


def test_a_built_spec_reads_field_by_field() -> None:
    spec = ProcessSpec.of({"command": ["/bin/sleep", "60"], "cwd": "/srv", "env": {"A": "1"},
                           "user": "svc", "port": 8080, "stop_signal": "SIGINT",
                           "shutdown_timeout": 3.0, "startup_timeout": 20})
    assert spec == ProcessSpec(("/bin/sleep", "60"), "/srv", {"A": "1"}, "svc", 8080,
                               "SIGINT", 3.0, 20.0)


def test_empty_and_null_fields_give_the_old_defaults() -> None:
    spec = ProcessSpec.of({"command": ["true"], "cwd": "", "env": None, "user": "",
                           "port": None, "stop_signal": None, "shutdown_timeout": 0,
                           "startup_timeout": None})
    assert (spec.cwd, dict(spec.env), spec.user, spec.port, spec.stop_signal) == (
        None, {}, None, None, "SIGTERM")
    assert (spec.shutdown_or(10.0), spec.startup_or(300.0)) == (10.0, 300.0)
    assert ProcessSpec.of({}) == ProcessSpec()


def test_set_timeouts_win_over_defaults() -> None:
    spec = ProcessSpec.of({"shutdown_timeout": 2, "startup_timeout": "7.5"})
    assert (spec.shutdown_or(10.0), spec.startup_or(300.0)) == (2.0, 7.5)
