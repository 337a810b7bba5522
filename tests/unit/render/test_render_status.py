"""The status table on a colour terminal: states and healths without a colour (``-``,
``stopped``) and data that looks like rich markup or emoji codes print as written."""

from __future__ import annotations

import re

import pytest

from reconciler.render.status import render_status

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def row(address: str, state: str, health: str | None, detail: str = "") -> dict[str, object]:
    return {"address": address, "state": state, "pid": None, "port": None,
            "health": health, "detail": detail}


@pytest.mark.parametrize("color", [True, False])
def test_unstyled_states_and_markup_like_data_print_as_written(color: bool) -> None:
    rows = [row("process.api", "stopped", "-"),  # crashed the old code: '[/]' closes nothing
            row("process.web", "running", "healthy"),
            row("process.[/]x", "[bold]odd[/]", "[red]", "exit [/] :smile: [link]")]
    out = render_status(rows, color=color)
    plain = ANSI.sub("", out)
    assert "stopped" in plain and "process.[/]x" in plain and "[bold]odd[/]" in plain
    assert "exit [/] :smile: [link]" in plain and "[red]" in plain
    assert ("\x1b[" in out) is color


def test_colours_follow_state_and_health() -> None:
    out = render_status([row("process.web", "running", "healthy"),
                         row("process.db", "failed", "unhealthy")], color=True)
    assert "\x1b[32mrunning" in out and "\x1b[31mfailed" in out
    assert "\x1b[31munhealthy" in out


def test_no_rows() -> None:
    assert render_status([], color=True) == "No resources in the configuration."
