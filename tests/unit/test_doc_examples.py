"""The console-block extraction and the in-substance comparison of tests/testing/doc_examples.py
(the harness of tests/integration/test_docs_examples.py)."""

from __future__ import annotations

from testing.doc_examples import blocks, missing, normalize

PAGE = """text
```console
$ reconciler status
ADDRESS  PID
process.api  26156
$ long \\
  command
done
```
```console
09:30:12 a log excerpt
```
"""


def test_blocks_split_commands_and_shown_output() -> None:
    first, excerpt = blocks(PAGE)
    assert first.key == "reconciler status" and first.line == 2
    assert first.commands == ["reconciler status", "long command"]
    assert first.shown == [["ADDRESS  PID", "process.api  26156"], ["done"]]
    assert excerpt.commands == [] and excerpt.key == "(no command, line 10)"


def test_normalize_hides_pids_times_durations_and_paths() -> None:
    paths = {"/tmp/x": "<ROOT>"}
    assert normalize("12:00:01 api: complete after 0.4s, pid 4242 in /tmp/x/q", paths) == \
        "<TIME> api: complete after <DUR>, pid <N> in <ROOT>/q"
    assert normalize("Plan: 4 to add", {}) == "Plan: 4 to add"  # small counts stay


def test_missing_wants_every_shown_line_in_order() -> None:
    real = "a\nprocess.api  running   999\nb\nApply complete! 1 added\n"
    assert missing(["process.api running 26156", "...", "Apply complete! ..."], real, {}) == []
    assert missing(["Apply complete! 1 added", "process.api running 1"], real, {}) == \
        ["process.api running 1"]  # out of order: the second line is looked for after the first
    assert missing(["Apply complete! 2 added"], real, {}) == ["Apply complete! 2 added"]
