"""An apply killed (SIGKILL) while it starts processes leaves nothing behind that the next
apply does not know: an apply commits its node results in batches (state/writebehind.py), so
the records of the last few starts die with it, and the next plan finds those processes by
their ownership marks. The next apply restarts nothing, doubles nothing and starts the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.cli import Cli, kill_scope

pytestmark = pytest.mark.integration

COUNT = 60


@pytest.fixture
def many(tmp_path: Path) -> Iterator[tuple[Cli, str]]:
    lines = ["name: killed", "services:"]
    for i in range(COUNT):
        lines += [f"  s{i}:", '    command: "exec sleep 3600"']
    (tmp_path / "services.yaml").write_text("\n".join(lines) + "\n")
    cli = Cli(tmp_path, f"t{os.getpid()}k")
    yield cli, f"killed_{cli.session}"
    cli("destroy", "--auto-approve", expect=None)
    kill_scope(f"killed_{cli.session}")


def test_a_killed_apply_leaves_every_started_process_known(many: tuple[Cli, str]) -> None:
    cli, scope = many
    apply = subprocess.Popen(cli.argv("apply", "--auto-approve", "--parallelism", "2"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(cli.owned(scope)) < 5 and apply.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        apply.send_signal(signal.SIGKILL)
        apply.wait(timeout=30)
    started = cli.owned(scope)
    assert started, "the apply started nothing before it was killed"
    plan = cli("plan").stdout
    assert "will be replaced" not in plan and "will be destroyed" not in plan, plan
    cli("apply", "--auto-approve")
    after = cli.owned(scope)
    assert len(after) == COUNT and all(len(pids) == 1 for pids in after.values()), after
    assert {a: after[a] for a in started} == started  # nothing restarted, nothing doubled
    assert cli("plan", "--detailed-exitcode").returncode == 0
