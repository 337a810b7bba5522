"""Approving a held plan from the dashboard in chromium (issue 30): policy holds the creation
of a new service for approval; Apply is refused, Approve records who approved it (the audit
log's approval row), and Apply then creates it. The node detail shows each value with the
file:line:col it was written at. Same served demo project as tests/integration/test_ui_browser.py.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_ui_browser import CHROMIUM, LAUNCH_ARGS, _cli, _serving, _until

from reconciler.transports import procfs as proc_scan

POLICY = """\
version: 1
rules:
  - id: new-services-need-approval
    match: {actions: [create], names: [extra]}
    decision: require_approval
    message: "{address} is new: someone approves it first"
"""


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with _serving(tmp_path, ["ui", "--listen", "127.0.0.1:{port}", "--token-file", "{token}",
                             "--interval", "0.5"]) as found:
        yield found


def _session(served: dict[str, Any]) -> str:
    return str(served["scope"]).removeprefix("uidemo_")


def test_approve_a_held_plan_from_the_page(dashboard: dict[str, Any]) -> None:
    served = dashboard
    from playwright.sync_api import sync_playwright

    base, token, shots, project = (served["base"], served["token"], served["artifacts"],
                                   served["project"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{base}/?token={token}")
            page.wait_for_selector('.node[data-address="process.web"]', timeout=20_000)
            page.locator('.node[data-address="process.web"]').click()
            page.wait_for_selector("#detail-spec", timeout=10_000)
            spec = page.inner_text("#detail-spec")
            config = project / "services.yaml"
            assert f"# {config}:8:5" in spec.split("command = ", 1)[1].split("\n")[0], spec
            assert f"env.API_KEY = \"(sensitive value)\"  # {config}:10:11" in spec, spec

            (project / "policy.yaml").write_text(POLICY)
            config.write_text(config.read_text() + '  extra:\n    command: "exec sleep 3600"\n')
            page.click('nav button[data-view="plan"]')
            _until(lambda: "1 to create" in page.inner_text("#plan-summary"), "the plan", 30)
            assert "policy require_approval: process.extra" in page.inner_text("#plan-changes")
            page.click("#plan-apply")
            _until(lambda: "approv" in page.inner_text("#toast"), "the refused apply", 60)
            assert not [i for i in proc_scan.scan(served["scope"])
                        if i.address == "process.extra"]

            page.click("#plan-approve")
            _until(lambda: "policy approved: process.extra" in page.inner_text("#plan-changes"),
                   "the approved plan", 60)
            page.screenshot(path=str(shots / "approved.png"))
            page.click("#plan-apply")
            _until(lambda: "apply done" in page.inner_text("#toast"), "the apply", 60)
            assert [i for i in proc_scan.scan(served["scope"]) if i.address == "process.extra"]
        finally:
            browser.close()
    audit = subprocess.run(_cli(project, _session(served), "audit", "export", "--json"),
                           capture_output=True, text=True, timeout=60, check=True)
    rows = [json.loads(line) for line in audit.stdout.splitlines() if line.strip()]
    approvals = [r for r in rows if r["type"] == "approval"]
    assert len(approvals) == 1 and approvals[0]["addresses"] == ["process.extra"]
    assert "dashboard, from 127.0.0.1" in approvals[0]["who"]
    assert (shots / "approved.png").stat().st_size > 1000

