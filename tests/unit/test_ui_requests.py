"""The dashboard answers every bad request with a 4xx and a JSON message (issues 27/28):
bodies that are not JSON objects, too deep or too large (refused while streaming), query
values that are not numbers, an apply that does not name its plan; and the node detail shows a
``port: auto`` service's recorded port. Starlette's TestClient, no server, nothing started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from testing.dashboard import dashboard_client, write_project

from reconciler.ui.body import MAX_BODY, BadRequest, read_limited
from reconciler.ui.security import Guard
from reconciler.ui.service import Dashboard

TOKEN = "t" * 32
SERVICES = "name: uitest\nservices:\n  web:\n    command: sleep 100\n    port: auto\n"


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_project(tmp_path, monkeypatch, {"services.yaml": SERVICES})


@pytest.fixture
def client(project_dir: Path) -> Iterator[tuple[TestClient, Guard, Dashboard]]:
    with dashboard_client(project_dir, TOKEN) as http:
        yield http


def post(client: tuple[TestClient, Guard, Dashboard], body: bytes) -> tuple[int, object]:
    http, guard, _ = client
    response = http.post("/api/action", content=body,
                         headers={"x-csrf-token": guard.csrf,
                                  "content-type": "application/json"})
    return response.status_code, response.json()


@pytest.mark.parametrize("body", [b"[1,2]", b'"x"', b"null", b"5", b"true", b"{",
                                  b"[" * 10000 + b"]" * 10000, b'{"a":' * 5000 + b"1" +
                                  b"}" * 5000, b"\xff\xfe", b'{"action": ["apply"]}'])
def test_bodies_that_are_not_objects_get_400(client: tuple[TestClient, Guard, Dashboard],
                                             body: bytes) -> None:
    status, answer = post(client, body)
    assert status == 400
    assert isinstance(answer, dict) and answer["error"]


def test_a_large_body_is_refused_with_413(client: tuple[TestClient, Guard, Dashboard]) -> None:
    status, answer = post(client, b" " * (MAX_BODY + 1))
    assert status == 413 and isinstance(answer, dict) and "larger" in str(answer["error"])


def test_a_large_body_without_content_length_is_refused_while_streaming(
        client: tuple[TestClient, Guard, Dashboard]) -> None:
    http, guard, _ = client

    def chunks() -> Iterator[bytes]:
        for _ in range(100):  # 100 MiB offered; refused after a little more than 1 MiB
            yield b" " * (1024 * 1024)

    response = http.post("/api/action", content=chunks(),
                         headers={"x-csrf-token": guard.csrf})
    assert response.status_code == 413
    assert "larger" in response.json()["error"]


def test_a_body_is_refused_while_it_streams() -> None:
    read: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):  # 100 MiB offered
            read.append(1)
            yield b" " * (1024 * 1024)

    with pytest.raises(BadRequest) as refused:
        asyncio.run(read_limited({}, chunks()))
    assert refused.value.status == 413 and len(read) == 2  # stopped after 1 MiB + 1 chunk


@pytest.mark.parametrize("body", [b'{"action": "apply"}', b'{"action": "apply", '
                                  b'"inputs_hash": ""}', b'{"action": "apply", '
                                  b'"inputs_hash": null}'])
def test_an_apply_must_name_its_plan(client: tuple[TestClient, Guard, Dashboard],
                                     project_dir: Path, body: bytes) -> None:
    status, answer = post(client, body)
    assert status == 400 and isinstance(answer, dict) and "inputs_hash" in str(answer["error"])
    assert not (project_dir / ".reconciler" / "state.db").exists()  # nothing planned or run


def test_an_apply_of_a_stale_plan_is_refused(client: tuple[TestClient, Guard, Dashboard],
                                             ) -> None:
    status, answer = post(client, b'{"action": "apply", "inputs_hash": "0123abcd"}')
    assert status == 409 and isinstance(answer, dict) and answer["error"]


@pytest.mark.parametrize("query", ["tail=abc", "tail=-1", "tail=1e999", "tail=" + "9" * 40])
def test_log_tail_that_is_not_a_number_gets_400(client: tuple[TestClient, Guard, Dashboard],
                                                query: str) -> None:
    http, _, _ = client
    response = http.get(f"/api/logs?{query}")
    assert response.status_code == 400
    assert "tail" in response.json()["error"]


def test_node_detail_shows_the_recorded_port(client: tuple[TestClient, Guard, Dashboard]
                                             ) -> None:
    http, _, dashboard = client
    recorded = dashboard.poller.store.allocate("process.web", 41234)
    response = http.get("/api/node?address=process.web")
    assert response.status_code == 200
    assert response.json()["spec"]["port"] == recorded == 41234


def test_unknown_routes_methods_and_tokens_answer_json(
        client: tuple[TestClient, Guard, Dashboard]) -> None:
    http, _, _ = client
    for method, path, status in (("GET", "/api/nothing", 404), ("GET", "/api/action", 405),
                                 ("GET", "/static/x.js", 404)):
        response = http.request(method, path)
        assert response.status_code == status and response.json()["error"], path
    response = http.get("/api/status", headers={"authorization": "Bearer wrong"})
    assert response.status_code == 401 and "token" in response.json()["error"]


def test_a_broken_config_in_node_detail_is_409(client: tuple[TestClient, Guard, Dashboard],
                                               project_dir: Path) -> None:
    http, _, _ = client
    (project_dir / "services.yaml").write_text("services:\n  web: [\n")
    response = http.get("/api/node?address=process.web")
    assert response.status_code == 409 and response.json()["error"]


def test_the_test_client_runs_on_httpx2() -> None:
    """The dev dependency httpx2 is what starlette's TestClient uses (its httpx fallback is
    deprecated and warns on every test run)."""
    import starlette.testclient

    assert starlette.testclient.httpx.__name__ == "httpx2"
