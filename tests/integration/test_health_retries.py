"""health_check retries and start_period gate a real process at apply like Compose's
healthcheck (issue 28: they were documented and ignored; the node waited out startup_timeout).

A service that becomes ready only after ~2 s: with interval 0.2 and retries 2 and no start
period, apply fails it as unhealthy (well before its 60 s startup_timeout); with a 20 s
start_period the same service applies and is healthy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

LATE = """\
name: late
services:
  api:
    command: "sleep 2 && exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    startup_timeout: 60
    health_check: {{http: "http://127.0.0.1:${{api.port}}/", interval: 0.2, retries: 2{extra}}}
"""


@pytest.fixture
def late(tmp_path: Path) -> Iterator[Cli]:
    cli = Cli(tmp_path, f"t{os.getpid()}h")
    yield cli
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"late_{cli.session}")


def test_retries_fail_a_slow_start_without_start_period(late: Cli) -> None:
    (late.project / "services.yaml").write_text(LATE.format(extra=""))
    failed = late("apply", "--auto-approve", expect=1)
    out = failed.stdout + failed.stderr
    assert "process.api not healthy: 2 consecutive failures" in out, out
    assert "not healthy after 60s" not in out
    assert "Traceback" not in out


def test_start_period_lets_the_same_start_through(late: Cli) -> None:
    (late.project / "services.yaml").write_text(LATE.format(extra=", start_period: 20"))
    out = late("apply", "--auto-approve").stdout
    assert "process.api: Healthy" in out
    assert '"health": "healthy"' in late("status", "--json").stdout
