"""Every console example of the docs runs, in its page's context, and shows what the page shows
(issue 30). tests/testing/doc_examples.py extracts and compares; infra/docs_sandbox.py runs.

A page gets one entry in PAGES: how its context is made (``context``: the sandbox dir the
blocks start in), and each of its blocks by key (its first command) in ``run`` or ``excepted``
(with the reason). Inside a run block, by the page's command text: ``variants`` runs another
command (bounded forms of watch/ui/logs -f, ...; with the reason in a comment), ``skip`` does
not run one (reason given), ``codes`` expects an exit code other than 0, ``before`` holds
hidden shell lines run before a block (what the prose says happens between two blocks).
A page that gains a block listed in neither ``run`` nor ``excepted`` fails the test.

Adding a page: a ``Page`` entry; a new context is a function of the sandbox (``box.example``
copies another example directory and registers its project name for the cleanup). Paths the
page writes (``/home/me/...``) map to the placeholders ``<ROOT>`` (the sandbox) and
``<PROJECT>`` (its first project) in ``paths``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from infra.docs_sandbox import ROOT, Sandbox
from testing.doc_examples import Block, blocks, missing
from testing.pty_run import run as pty_run

WORKER_PID = ("python3 -c 'import json,sys; print(next(r[\"pid\"] for r in json.load(sys.stdin)"
              "[\"resources\"] if r[\"address\"] == \"process.worker\"))'")
# the worker's process group (it leads one): its shell and its `sleep`
KILL_WORKER = f"kill -9 -- -$(reconciler -C {{q}} status --json | {WORKER_PID})"
EDIT_LOG_LEVEL = "sed -i 's/LOG_LEVEL: info/LOG_LEVEL: debug/' {q}/services.yaml"
BOUNDED = "timeout --preserve-status -s INT 4"  # Ctrl-C after 4 s: the normal end (exit 0)
QS = "examples/quickstart"


@dataclass(frozen=True)
class Page:
    path: str
    context: Callable[[Sandbox], Path]  # makes the context; returns the dir blocks start in
    run: tuple[str, ...]
    excepted: dict[str, str] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    before: dict[str, list[str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # the page's placeholder paths


def at_root(box: Sandbox) -> Path:
    box.quickstart()
    return box.tmp


def in_project(box: Sandbox) -> Path:
    return box.quickstart()


def applied(box: Sandbox) -> Path:
    project = box.quickstart()
    box.cwd = project
    assert all(r.code == 0 for r in box.run(["reconciler apply --auto-approve"]))
    return project


def shop_repo(box: Sandbox) -> Path:
    """A git repository (``shop``) with the quickstart as its deploy/ directory."""
    repo = box.tmp / "shop"
    box.quickstart(repo / "deploy")
    box.cwd = repo
    assert all(r.code == 0 for r in box.run(["git init -q && git add -A && git commit -qm init"]))
    return repo


def protected(box: Sandbox) -> Path:
    """The applied quickstart with a policy.yaml that protects process.api."""
    project = applied(box)
    (project / "policy.yaml").write_text("version: 1\nprotect: [process.api]\n")
    return project


def operator_paths() -> dict[str, str]:
    """The page's alice@laptop is whoever runs the test."""
    from reconciler.engine.approval import operator

    who = operator()
    return {"alice@laptop": "<WHO>", who: "<WHO>", "alice": "<USER>",
            who.split("@")[0]: "<USER>"}


def applied_at_root(box: Sandbox) -> Path:
    applied(box)
    return box.tmp


PAGES = [
    Page("README.md", at_root,
         run=("cd examples/quickstart", "reconciler restart api", "reconciler plan"),
         excepted={"scripts/quickstart.sh": "installs reconciler into .venv (pip, network) and "
                   "runs validate/apply/status: the tour block runs the same commands",
                   "scripts/test.sh          # the same as `just test`; CI runs exactly this "
                   "(.ci/run)": "the whole test suite"},
         # the worker's pid, kept in $W from before `state rm` for the `import`
         variants={"reconciler state rm process.worker             # forget it: the process "
                   "keeps running": f"W=$(reconciler status --json | {WORKER_PID}) && "
                   "reconciler state rm process.worker",
                   "reconciler import process.worker 26240         # adopt a running process "
                   "by its pid": "reconciler import process.worker $W"},
         before={"reconciler plan": [KILL_WORKER.format(q="."), EDIT_LOG_LEVEL.format(q=".")]},
         paths={"/home/me/reconciler/examples/quickstart": "<PROJECT>"}),
    Page("docs/cli-intro.md", in_project,
         run=("reconciler validate                 # every problem at once, as file:line:col",
              "reconciler stop worker              # kept stopped across apply and watch until "
              "`start`",
              "reconciler state mv process.api process.backend   # after renaming the service "
              "in services.yaml",
              "reconciler policy show              # the effective policy: layers and rules "
              "with file:line:col"),
         variants={
             # piped stdin: apply refuses to prompt; the page's comment names --auto-approve
             "reconciler apply                    # asks for \"yes\"; --auto-approve in scripts":
                 "reconciler apply --auto-approve",
             "reconciler logs api -f              # follow one service's log":
                 f"{BOUNDED} reconciler logs api -f",
             "reconciler status --watch           # refreshed in place; a line per change "
             "when piped": f"{BOUNDED} reconciler status --watch",
             # the quickstart has no Procfile: convert one in a directory of its own
             "reconciler init --from Procfile     # a commented services.yaml (also "
             "compose.yaml, locald.toml)":
                 "(mkdir -p ../procfile && cd ../procfile && printf 'web: python3 -m "
                 "http.server $PORT\\n' > Procfile && reconciler init --from Procfile)",
             # the page's context has not renamed the service: move it, and back
             "reconciler state mv process.api process.backend   # after renaming the service "
             "in services.yaml": "reconciler state mv process.api process.backend && "
                                 "reconciler state mv process.backend process.api",
         },
         skip={"reconciler exec box -- sh           # containers: docker exec into the owned "
               "container": "a container example (docs/containers.md's context)",
               "reconciler exec front.web -- sh     # a Compose service: docker exec into its "
               "container": "a Compose example (docs/compose.md's context)",
               "reconciler import process.api 4242                # adopt a running process "
               "by its pid": "4242 stands for a process started outside reconciler "
               "(test_state_verbs.py imports one)",
               "reconciler import container.db my-postgres        # adopt a running container "
               "by id or name": "a container example (test_import_container.py)",
               "reconciler import compose.app shop_prod           # adopt every service of a "
               "Compose project": "a Compose example (test_import_compose.py)",
               "reconciler import file.motd /etc/motd             # adopt an existing file at "
               "its path": "no file entry in the quickstart (test_import_file.py)"},
         codes={"reconciler plan --detailed-exitcode --markdown --refresh=false   # a CI dry "
                "run, offline": 0},
         before={"reconciler stop worker              # kept stopped across apply and watch "
                 "until `start`": ["reconciler apply --auto-approve"],
                 "reconciler policy show              # the effective policy: layers and "
                 "rules with file:line:col": ["git init -q"]}),
    Page("docs/ci.md", in_project,
         run=("reconciler plan --detailed-exitcode --no-color --refresh=false --markdown > "
              "plan.md",),
         codes={"reconciler plan --detailed-exitcode --no-color --refresh=false --markdown > "
                "plan.md": 2}),
    Page("docs/watch.md", applied_at_root,
         run=("reconciler -C examples/quickstart watch",),
         excepted={"(no command, line 83)": "a log excerpt of a crash-looping service, no "
                   "command (test_watch.py drives a crash loop)",
                   "(no command, line 115)": "a log excerpt of an over-budget plan, no command "
                   "(test_watch.py drives the budget)"},
         variants={"reconciler -C examples/quickstart watch":
                   f"(reconciler -C {QS} watch > watch.out 2>&1 & w=$!; sleep 5; "
                   f"{EDIT_LOG_LEVEL.format(q=QS)}; sleep 4; {KILL_WORKER.format(q=QS)}; "
                   "sleep 4; kill -INT $w; wait $w; rc=$?; cat watch.out; exit $rc)"},
         paths={"/src/examples/quickstart": "<PROJECT>"}),
    Page("docs/git-hook.md", shop_repo,
         run=("reconciler hook install                 # in the repository, project at the top "
              "level",),
         codes={"git commit -m \"add web\"": 1},
         # "a commit with an invalid staged file": a misspelt key in deploy/services.yaml
         before={"reconciler hook install                 # in the repository, project at the "
                 "top level": ["sed -i 's/^    dependencies: \\[api\\]/    dependencys: [api]/' "
                               "deploy/services.yaml", "git add -A"]},
         paths={"/src/shop": "<ROOT>/shop"}),
    Page("docs/policy.md", protected,
         run=("reconciler plan --replace process.api -out api.plan",
              "reconciler history"),
         paths=operator_paths()),
    Page("docs/ui.md", in_project,
         run=("pip install 'reconciler[ui]'          # Starlette + uvicorn",
              "reconciler watch --ui --ui-listen 127.0.0.1:8766"),
         skip={"pip install 'reconciler[ui]'          # Starlette + uvicorn":
               "installs from the network (the test environment has the ui extra)"},
         variants={"reconciler -C myproject ui": f"{BOUNDED} reconciler -C . ui --listen "
                   "127.0.0.1:$DOCEX_PORT",
                   "reconciler watch --ui --ui-listen 127.0.0.1:8766":
                   f"{BOUNDED} reconciler watch --ui --ui-listen 127.0.0.1:$DOCEX_PORT"},
         codes={"reconciler -C myproject ui": 130},  # Ctrl-C ends `ui` with 130 (cli.md)
         paths={"/home/me/myproject": "<PROJECT>"}),
]


def check_page(page: Page, box: Sandbox) -> list[str]:
    box.cwd = page.context(box)
    found = blocks((ROOT / page.path).read_text())
    keys = [b.key for b in found]
    unlisted = [k for k in keys if k not in page.run and k not in page.excepted]
    assert not unlisted, f"{page.path}: blocks in neither run nor excepted: {unlisted}"
    assert set(page.run) | set(page.excepted) <= set(keys), f"{page.path}: stale entries"
    # the sandbox's session keeps its state under .reconciler/sessions/S: pages show none
    paths = {str(box.tmp): "<ROOT>", str(box.projects[0][0]): "<PROJECT>",
             f".reconciler/sessions/{box.session}": ".reconciler", **page.paths}
    failures: list[str] = []
    for block in found:
        if block.key in page.run:
            failures += check_block(page, block, box, paths)
    return failures


def check_block(page: Page, block: Block, box: Sandbox, paths: dict[str, str]) -> list[str]:
    chosen = [(c, s) for c, s in zip(block.commands, block.shown, strict=True)
              if c not in page.skip]
    commands = [page.variants.get(c, c) for c, _ in chosen]
    ran = box.run(commands, page.before.get(block.key))
    failures = []
    for (command, shown), result in zip(chosen, ran, strict=True):
        where = f"{page.path}:{block.line}: $ {command}"
        if result.code != page.codes.get(command, 0):
            failures.append(f"{where}\nexit {result.code}\n{result.output}")
        elif lacking := missing(shown, result.output, paths):
            failures.append(f"{where}\nnot in the real output: {lacking}\n{result.output}")
    return failures


@pytest.mark.parametrize("page", PAGES, ids=[p.path for p in PAGES])
def test_console_examples(page: Page, sandbox: Sandbox) -> None:
    failures = check_page(page, sandbox)
    assert not failures, "\n\n".join(failures)


def test_readme_status_on_a_terminal(sandbox: Sandbox) -> None:
    """The tour's `status` on a real pseudo-terminal shows the table the README shows."""
    project = applied(sandbox)
    tour = next(b for b in blocks((ROOT / "README.md").read_text()) if b.key == PAGES[0].run[0])
    shown = tour.shown[tour.commands.index("reconciler status")]
    seen = pty_run(["status"], project, "pty", env=sandbox.env)
    assert seen.code == 0, seen.describe()
    assert not missing(shown, seen.output, {}), seen.describe()


def test_ui_actions_name_real_commands(sandbox: Sandbox) -> None:
    """ui.md's "Equivalent CLI" of Restart and Stop run as written (ADDR = process.api)."""
    project = applied(sandbox)
    rows = [line.split("|") for line in (ROOT / "docs" / "ui.md").read_text().splitlines()
            if line.startswith(("| Restart |", "| Stop |"))]
    commands = [row[2].strip().strip("`").replace("ADDR", "process.api") + " --auto-approve"
                for row in rows]
    assert len(commands) == 2, rows
    sandbox.cwd = project
    ran = sandbox.run(commands)
    assert [r.code for r in ran] == [0, 0], ran
    assert "1 replaced" in ran[0].output and "process.api: Destruction complete" in ran[1].output
