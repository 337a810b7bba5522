"""model.build runs once per load, also when auto ports are re-adopted after state loss.

Before: ``Project.desired`` built the model, looked at the ports the allocator had to invent,
asked the kinds for the ports their marks carry, and built the whole model again. Now the
ports step tells the allocator every auto address first (``PortAllocator.settle``), which
re-adopts the unrecorded ones before any is allocated. Also: the readers registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import load
from reconciler.engine.ports import PortAllocator
from reconciler.engine.project import Project
from reconciler.model import build as build_module
from reconciler.model.readers import READERS

SERVICES = """\
name: once
services:
  api:
    command: "sleep 60"
    port: auto
  web:
    command: "sleep 60"
    port: auto
  fixed:
    command: "sleep 60"
    port: 24555
"""


def ports_of(state: Any) -> dict[str, int]:
    return {str(a): r.spec["port"] for a, r in state.resources.items()}


def test_the_allocator_settles_every_auto_port_before_the_first_is_allocated(
        tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    docs, _ = load(tmp_path)
    asked: list[list[str]] = []

    def adopt(fresh: Sequence[str]) -> dict[str, int]:
        asked.append(list(fresh))
        return {"process.api": 24001, "process.fixed": 1, "process.other": 2}

    allocator = PortAllocator({"process.web": 24002}, adopt=adopt)
    state, problems = build_module.build(docs, env={}, port_allocator=allocator)
    assert problems == []
    assert asked == [["process.api"]]  # only the auto port without a recorded allocation
    assert ports_of(state) == {"process.api": 24001, "process.web": 24002,
                               "process.fixed": 24555}
    assert allocator.fresh == []

    def never(fresh: Sequence[str]) -> dict[str, int]:
        raise AssertionError("nothing unrecorded: adopt must not be called")

    recorded = PortAllocator({"process.api": 24001, "process.web": 24002}, adopt=never)
    assert ports_of(build_module.build(docs, env={}, port_allocator=recorded)[0])[
        "process.api"] == 24001


def test_project_desired_builds_once_when_ports_are_readopted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    calls: list[int] = []
    real = build_module.expand_stacks  # one of the build's steps: runs once per build

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "expand_stacks", counting)
    monkeypatch.setattr("reconciler.engine.project.readopt",
                        lambda fresh, context_for: {"process.api": 24011, "process.web": 24012})
    project = Project(tmp_path, state_dir=tmp_path / "state", environ={})
    state, _ = project.desired()
    assert ports_of(state) == {"process.api": 24011, "process.web": 24012,
                               "process.fixed": 24555}
    assert len(calls) == 1  # before: 2 (built again with the re-adopted ports)
    assert project.name == "once"


def test_every_config_format_with_services_has_a_reader() -> None:
    assert set(READERS) == {"services", "locald", "procfile", "vendetta", "par"}


def counting_load(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the config parses of Project (reconciler.engine.project.load)."""
    parsed: list[Path] = []

    def counting(directory: Path) -> Any:
        parsed.append(directory)
        return load(directory)

    monkeypatch.setattr("reconciler.engine.project.load", counting)
    return parsed


def test_a_plan_parses_the_config_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    parsed = counting_load(monkeypatch)
    project = Project(tmp_path, state_dir=tmp_path / "state", environ={})
    run = project.plan(refresh=False)  # opens the state (config_name), then loads and builds
    assert run.plan.has_changes and project.name == "once"
    assert len(parsed) == 1  # before: 2 (once for the state's name, once for the plan)
    project.plan(refresh=False)
    assert len(parsed) == 2  # a later plan (a watcher's) reads the files again


def test_an_edit_after_the_state_opened_is_planned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "services.yaml").write_text(SERVICES)
    parsed = counting_load(monkeypatch)
    project = Project(tmp_path, state_dir=tmp_path / "state", environ={})
    assert project.config_name == "once"
    (tmp_path / "services.yaml").write_text(SERVICES.replace("web:", "front:"))
    run = project.plan(refresh=False)
    assert "process.front" in {str(c.address) for c in run.plan.changes}
    assert len(parsed) == 2  # the first parse is stale: parsed again
