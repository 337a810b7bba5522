"""Fuzzing the config loaders (issue 12): mutated seeds and random text for services.yaml,
locald.toml, Procfile, compose.yaml and policy.yaml never crash `validate`: they pass, or
report errors placed at file:line:col, or raise a ReconcilerError. The harness is
tests/testing/fuzz.py; tests/benchmarks/fuzz_loaders.py runs 10,000 inputs per format
through the CLI and test_crashers_replay.py replays what once crashed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from testing import fuzz

from reconciler.errors import Severity


@pytest.mark.parametrize("name", fuzz.FORMATS)
def test_every_seed_is_valid(name: str) -> None:
    assert fuzz.problem(name, fuzz.seed(name)) is None


@pytest.mark.parametrize("name", fuzz.FORMATS)
def test_a_broken_seed_is_an_error_with_a_position(name: str, tmp_path: object) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if name == "policy.yaml":
            (directory / "services.yaml").write_text(fuzz.seed("services.yaml"))
        broken = fuzz.seed(name).replace("\n", "\n  [\"\n", 2)
        (directory / name).write_text(broken)
        errors = [d for d in fuzz.validate(directory) if d.severity is Severity.ERROR]
    assert errors, broken
    assert any(d.source is not None and d.source.file.endswith(name) and d.source.line >= 1
               for d in errors), [d.render() for d in errors]


def _property(name: str) -> None:
    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(fuzz.inputs(name))
    def run(text: str) -> None:
        assert fuzz.problem(name, text) is None, repr(text)

    run()


@pytest.mark.parametrize("name", fuzz.FORMATS)
def test_mutated_inputs_never_crash(name: str) -> None:
    _property(name)
