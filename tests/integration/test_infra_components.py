"""Tests of `require()`: a missing component fails the test under CI=true and skips it
elsewhere, with a message naming the component and the setup script."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from infra import components


@pytest.fixture
def missing_docker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(components._CHECKS, "docker", lambda: "no engine here")
    components.missing_reason.cache_clear()
    yield
    components.missing_reason.cache_clear()


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_missing_component_fails_under_ci(
    missing_docker: None, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        components.require("docker")
    assert "'docker'" in str(failed.value)
    assert "no engine here" in str(failed.value)
    assert "scripts/setup-test-env.sh" in str(failed.value)


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_component_skips_outside_ci(
    missing_docker: None, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        components.require("docker")
    assert "'docker'" in str(skipped.value)


def test_unknown_component_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown test component 'dockr'"):
        components.require("dockr")


def test_every_component_has_a_check() -> None:
    assert set(components.COMPONENTS) == set(components._CHECKS)
    for name in components.COMPONENTS:
        reason = components.missing_reason(name)
        assert reason is None or isinstance(reason, str)


@pytest.mark.requires("redis-bin")
def test_requires_marker_runs_the_check() -> None:
    assert components.missing_reason("redis-bin") is None
