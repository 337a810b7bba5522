"""The dashboard in a real browser (issue 18): Debian's chromium driven by Playwright against a
real project of local processes served by `reconciler ui` (or `watch --ui`) in a subprocess.

Checks: 401 without the token; the graph shows every service; a process killed by the test
turns red live (SSE), and green again when `watch --ui` heals it; logs stream new lines;
restart from the page brings it back and lands in the audit log; a secret env value never
reaches the page. Screenshots of each view go to ``$RECONCILER_UI_ARTIFACTS`` (default: a tmp
dir), at 1280x800 and at phone width.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.components import missing

from reconciler.transports import procfs as proc_scan

CHROMIUM = "/usr/bin/chromium"
SECRET = "s3cr3t-" + uuid.uuid4().hex[:12]
PROJECT = """\
name: uidemo
services:
  db:
    command: "exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: auto
    health_check: {http: "http://127.0.0.1:${db.port}/", interval: 0.2, start_period: 10}
  web:
    command: "while true; do echo tick $(date +%s%N) key=$API_KEY; sleep 0.3; done"
    depends_on: [db]
    env: {API_KEY: "SECRET"}
"""
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _cli(project: Path, session: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "-C", str(project), "--session", session,
            "--no-color", *args]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening (yet)


@contextlib.contextmanager
def _serving(tmp_path: Path, command: list[str]) -> Iterator[dict[str, Any]]:
    """Apply the demo project, then run ``command`` (+ the listen/token options it takes as
    ``{port}`` and ``{token}``) until the server answers; destroy and reap afterwards."""
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"chromium is missing ({CHROMIUM}); run scripts/setup-test-env.sh")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("the playwright Python package is missing; run scripts/setup-test-env.sh")
    project = tmp_path / "uidemo"
    project.mkdir()
    (project / "services.yaml").write_text(PROJECT.replace("SECRET", SECRET))
    session = f"ui{uuid.uuid4().hex[:8]}"
    scope = f"uidemo_{session}"
    token = uuid.uuid4().hex
    (tmp_path / "token").write_text(token)
    port = _free_port()
    server = None
    try:
        subprocess.run(_cli(project, session, "apply", "--auto-approve"), check=True,
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        args = [a.format(port=port, token=tmp_path / "token") for a in command]
        server = subprocess.Popen(_cli(project, session, *args),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while _status(f"{base}/") != 401:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the ui server did not start"
            time.sleep(0.2)
        artifacts = Path(os.environ.get("RECONCILER_UI_ARTIFACTS", tmp_path / "screenshots"))
        artifacts.mkdir(parents=True, exist_ok=True)
        yield {"base": base, "token": token, "scope": scope, "artifacts": artifacts,
               "project": project, "server": server}
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        subprocess.run(_cli(project, session, "destroy", "--auto-approve"),
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
        for info in proc_scan.scan(scope):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(info.stat.pgrp, signal.SIGKILL)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with _serving(tmp_path, ["ui", "--listen", "127.0.0.1:{port}", "--token-file", "{token}",
                             "--interval", "0.5"]) as found:
        yield found


def _leaders(scope: str, address: str) -> list[int]:
    return [i.pid for i in proc_scan.scan(scope) if i.address == address and i.stat.pgrp == i.pid]


def _leader(scope: str, address: str) -> int:
    pids = _leaders(scope, address)
    assert len(pids) == 1, pids
    return pids[0]


def _until(check: Any, what: str, timeout: float = 15.0) -> None:
    """Poll ``check()`` from Python (the page's CSP forbids Playwright's eval'd predicates)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_dashboard_in_chromium(served: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    base, token, shots = served["base"], served["token"], served["artifacts"]
    assert _status(f"{base}/") == 401
    assert _status(f"{base}/api/status") == 401
    assert _status(f"{base}/?token=wrong-{token}") == 401
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(f"{base}/?token={token}")
            assert page.url == f"{base}/"  # the token moved into the cookie
            web = page.locator('.node[data-address="process.web"]')
            page.wait_for_selector('.node.ok[data-address="process.db"]', timeout=20_000)
            page.wait_for_selector('.node.ok[data-address="process.web"]', timeout=20_000)
            page.screenshot(path=str(shots / "graph.png"))

            web.click()
            page.wait_for_selector("#detail h3", timeout=10_000)
            assert "services.yaml:" in page.inner_text("#detail")
            page.screenshot(path=str(shots / "detail.png"))

            os.kill(_leader(served["scope"], "process.web"), signal.SIGKILL)
            page.wait_for_selector('.node.bad[data-address="process.web"]', timeout=20_000)
            page.screenshot(path=str(shots / "killed.png"))

            page.click("#act-restart")
            page.wait_for_selector('.node.ok[data-address="process.web"]', timeout=30_000)

            page.click('nav button[data-view="logs"]')
            page.select_option("#log-service", "web")
            _until(lambda: "tick" in page.inner_text("#log-lines"), "the log's first lines")
            before = page.inner_text("#log-lines").count("tick")
            _until(lambda: page.inner_text("#log-lines").count("tick") > before + 2,
                   "new log lines to stream in")
            page.screenshot(path=str(shots / "logs.png"))

            page.click('nav button[data-view="plan"]')
            _until(lambda: "planning" not in page.inner_text("#plan-summary"), "the plan", 30)
            assert "no changes" in page.inner_text("#plan-summary")
            config = served["project"] / "services.yaml"
            config.write_text(config.read_text() + '  extra:\n    command: "exec sleep 3600"\n')
            page.click("#plan-refresh")
            _until(lambda: "1 to create" in page.inner_text("#plan-summary"), "the new plan", 30)
            assert "process.extra" in page.inner_text("#plan-changes")
            page.screenshot(path=str(shots / "plan.png"))
            page.click("#plan-apply")
            _until(lambda: "apply done" in page.inner_text("#toast"), "the apply", 60)
            assert len([i for i in proc_scan.scan(served["scope"])
                        if i.address == "process.extra"]) >= 1  # the world changed

            page.click('nav button[data-view="history"]')
            page.wait_for_selector('.run[data-kind="apply"]', timeout=10_000)
            page.locator('.run[data-kind="apply"] button').first.click()
            _until(lambda: "ui.action" in page.locator(".run pre").first.text_content(),
                   "the apply's ui.action event in the history")
            actions = [e["data"]["action"] for run in page.request.get(f"{base}/api/history")
                       .json() for e in page.request.get(f"{base}/api/history?run={run['id']}")
                       .json() if e["kind"] == "ui.action"]
            assert sorted(actions) == ["apply", "restart"]
            page.screenshot(path=str(shots / "history.png"))
            page.click('nav button[data-view="graph"]')
            page.wait_for_selector('.node.ok[data-address="process.extra"]', timeout=20_000)

            html = page.content()
            for path in ("/api/status", "/api/node?address=process.web", "/api/logs?tail=500",
                         "/api/plan", "/api/history"):
                html += page.request.get(f"{base}{path}").text()
            assert SECRET not in html
            assert "(sensitive" in html

            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(f"{base}/?token={token}")
            phone.wait_for_selector('.node[data-address="process.web"]', timeout=20_000)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
            phone.screenshot(path=str(shots / "phone.png"), full_page=True)
        finally:
            browser.close()
    for name in ("graph", "detail", "killed", "logs", "plan", "history", "phone"):
        assert (shots / f"{name}.png").stat().st_size > 1000


def test_non_loopback_listen_refuses_without_tls(tmp_path: Path) -> None:
    (tmp_path / "services.yaml").write_text("name: x\nservices: {}\n")
    done = subprocess.run(_cli(tmp_path, "s", "ui", "--listen", "198.18.0.1:8765"),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert "without TLS" in done.stderr and "Traceback" not in done.stderr


def test_watch_ui_shows_a_killed_process_red_then_healed_green(tmp_path: Path) -> None:
    """`watch --ui`: the page is served by the watch process itself; a process killed by the
    test turns red, and the watch's heal (the second one held back by a 3 s backoff, so the
    page has time to see the red) turns it green again without anyone touching the page."""
    from playwright.sync_api import sync_playwright

    command = ["watch", "--ui", "--ui-listen", "127.0.0.1:{port}", "--ui-token-file",
               "{token}", "--poll", "0.1", "--backoff", "3"]
    with _serving(tmp_path, command) as served, sync_playwright() as pw:
        base, token = served["base"], served["token"]
        assert _status(f"{base}/api/status") == 401
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/?token={token}")
            page.wait_for_selector('.node.ok[data-address="process.web"]', timeout=20_000)
            first = _leader(served["scope"], "process.web")
            os.kill(first, signal.SIGKILL)  # the first heal is immediate (watch's backoff)...
            _until(lambda: _leaders(served["scope"], "process.web") not in ([], [first]),
                   "the first heal", 20)
            before = _leader(served["scope"], "process.web")
            os.kill(before, signal.SIGKILL)  # ...the second waits 3 s: the page shows it red
            page.wait_for_selector('.node.bad[data-address="process.web"]', timeout=20_000)
            page.screenshot(path=str(served["artifacts"] / "watch-killed.png"))
            page.wait_for_selector('.node.ok[data-address="process.web"]', timeout=30_000)
            page.screenshot(path=str(served["artifacts"] / "watch-healed.png"))
        finally:
            browser.close()
        assert _leader(served["scope"], "process.web") != before  # healed by the watch
        assert served["server"].poll() is None  # one process serves both
