"""Helpers for the config-stage tests: write a project, then load / check / build it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from cfg_testlib import write

from reconciler.config import RawDocument, load
from reconciler.engine.local_host import LocalHost
from reconciler.errors import Diagnostic, Severity
from reconciler.model.build import build
from reconciler.model.types import DesiredState
from reconciler.validate.checker import check


class Result:
    def __init__(self, docs: list[RawDocument], diagnostics: list[Diagnostic],
                 state: DesiredState | None):
        self.docs = docs
        self.diagnostics = diagnostics
        self.state = state

    @property
    def errors(self) -> list[str]:
        return [d.render() for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[str]:
        return [d.render() for d in self.diagnostics if d.severity is Severity.WARNING]

    def resource(self, address: str) -> Any:
        assert self.state is not None
        for resource in self.state.resources.values():
            if str(resource.address) == address:
                return resource
        raise AssertionError(f"{address} not in {[str(a) for a in self.state.resources]}")


Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run({"services.yaml": "..."}, env={...}, strict=False)``: all three stages, with the
    project as the current directory so diagnostics name plain file names. Build asks this
    machine (``LocalHost``) for host facts unless ``host=`` gives a fake one."""
    monkeypatch.chdir(tmp_path)

    def _run(files: Mapping[str, str], *, env: Mapping[str, str] | None = None,
             strict: bool = False, **kwargs: Any) -> Result:
        write(tmp_path, files)
        docs, diagnostics = load(Path("."))
        diagnostics += check(docs)
        kwargs.setdefault("host", LocalHost(env or {}))
        state, more = build(docs, env=env or {}, strict=strict, **kwargs)
        return Result(docs, diagnostics + more, state)

    return _run
