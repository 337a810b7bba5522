"""The console examples of the secrets, packages, compose, gitops and cli pages (issue 30), run
in their page's context by the harness of test_docs_examples.py (its ``Page`` table and
``check_page``): secrets.md with the real ``sops`` and an age key made in the sandbox,
packages.md and compose.md on the project their page describes, gitops.md against a bare
repository in the sandbox with the agent bounded (``--once``, or in the background and stopped
by its pid). docs/cli.md is generated from docs/cli-intro.md (whose blocks
test_docs_examples.py runs): its blocks must be exactly cli-intro's.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra.components import require
from infra.docs_sandbox import ROOT, Sandbox, free_port
from test_docs_examples import Page, check_page
from testing.doc_examples import blocks, missing

SOPS_SERVICES = """\
services:
  api:
    command: sh -c 'exec sleep 600'
    env:
      DB_PASSWORD: {sops: secrets.enc.yaml#db.password}
    env_file: app.enc.env
  web:
    command: sh -c 'exec sleep 600'
    env:
      DATABASE_URL: "postgres://app:${api.env.DB_PASSWORD}@127.0.0.1:5432/app"
    depends_on: {api: {condition: service_started}}
"""

PACKAGE_SERVICES = """\
services:
  collector:
    type: package
    host: local
    package: ./packages/collector
    version: "1.4.2"
    install_path: {install}
"""
PACKAGE_MANIFEST = """\
name = "collector"
version = "1.4.2"
files = ["/etc/passwd"]
"""

COMPOSE_FILE = """\
services:
  web:
    image: busybox
    depends_on: db
  db:
    image: busybox
"""


def project(box: Sandbox, at: Path, files: dict[str, str]) -> Path:
    """A project made of ``files`` at ``at`` (its name: the directory's), destroyed by close."""
    at.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (at / name).parent.mkdir(parents=True, exist_ok=True)
        (at / name).write_text(text)
    box.projects.append((at, at.name))
    return at


def sops_shop(box: Sandbox) -> Path:
    """secrets.md's ``shop``: services.yaml as on the page; ``sops`` (reconciler's own binary)
    on the sandbox's PATH; the age key is made by the page's ``secrets init``."""
    from reconciler.engine.sops import sops_binary

    require("sops")
    binary = sops_binary()
    assert binary is not None
    (box.tmp / "bin" / "sops").symlink_to(binary)
    return project(box, box.tmp / "sopsdoc" / "shop", {"services.yaml": SOPS_SERVICES})


def collector(box: Sandbox) -> Path:
    """packages.md's collector package, its manifest listing an absolute path."""
    return project(box, box.tmp / "proj", {
        "services.yaml": PACKAGE_SERVICES.format(install=box.tmp / "opt" / "collector"),
        "packages/collector/manifest.toml": PACKAGE_MANIFEST,
        "packages/collector/bin/collector": "#!/bin/sh\n"})


def compose_project(box: Sandbox) -> Path:
    """compose.md's validation example: ``depends_on`` written as a string."""
    return project(box, box.tmp / "app", {"compose.yaml": COMPOSE_FILE})


SITE = """\
name: site
services:
  web:
    type: process
    command: "exec python3 -m http.server 8088 --bind 127.0.0.1"
    shutdown_timeout: 2
    health:
      http: "http://127.0.0.1:8088/"
"""
WORKER = """\
  worker:
    type: process
    command: "exec sleep 100000"
    depends_on: [web]
"""
# the page's fixed ports and directory, in the sandbox: free ports and the sandbox itself
DEMO = {"/tmp/gitops-demo": "$DEMO", "8088": "$WEB1", "8089": "$WEB2", "9419": "$HOOK",
        "8766": "$UIPORT", "/srv/agent": "agent", "/srv/git/deploy.git": "$DEMO/site.git"}


def demo(command: str) -> str:
    for page, here in DEMO.items():
        command = command.replace(page, here)
    return command


def gitops_demo(box: Sandbox) -> Path:
    """gitops.md's /tmp/gitops-demo: the sandbox (DEMO), free ports for the page's; the agent's
    project (``site``) is registered for the cleanup."""
    web1 = str(free_port())
    box.env.update(DEMO=str(box.tmp), WEB1=web1, WEB2=str(free_port()), HOOK=str(free_port()),
                   UIPORT=str(free_port()), SITE=SITE.replace("8088", web1), WORKER=WORKER)
    box.projects.append((box.tmp / "agent", "site"))
    return box.tmp


def wait_log(pattern: str, count: int = 1) -> str:
    """A hidden line: wait (at most 60 s) until the agent's log has ``count`` lines matching."""
    return (f"for i in $(seq 200); do [ $(grep -c -E \"{pattern}\" $DEMO/agent.log) -ge {count} ]"
            " && break; sleep 0.3; done")


def push(message: str, sed: str) -> str:
    """A hidden line: edit services.yaml in the work clone, commit, push, POST the webhook."""
    return (f"(cd $DEMO/work && sed -i \"{sed}\" services.yaml && git commit -qam '{message}' && "
            "git push -q origin main && curl -s -XPOST http://127.0.0.1:$HOOK/ >/dev/null)")


AGENT = ("reconciler -C agent sync file:///tmp/gitops-demo/site.git --interval 5s --listen "
         "127.0.0.1:9419")
KILL = "kill -TERM 19706                  # the agent (`systemctl stop` does the same)"
# the block's agent in the background (its output to agent.log, its pid to agent.pid): the
# worker pushed and announced, then the typo pushed, then the log so far
AGENT_RUN = (
    f"{{ {demo(AGENT)} </dev/null >$DEMO/agent.log 2>&1 & echo $! > $DEMO/agent.pid; }}; "
    f"{wait_log('synced .*health_check')}; "
    "printf '%s' \"$WORKER\" >> $DEMO/work/services.yaml; "
    f"{push('add a worker', 's/x/x/')}; {wait_log('synced .*add a worker')}; "
    f"{push('web moves to 8089', 's/$WEB1/$WEB2/g; s/depends_on/depnds_on/')}; "
    f"{wait_log('in sync: nothing to do')}; sleep 1; cat $DEMO/agent.log")
FIXED_TYPO = ["(cd $DEMO/work && sed -i 's/depnds_on/depends_on/' services.yaml && "
              "git commit -qam 'fix the typo' && git push -q origin main)",
              "curl -s -XPOST http://127.0.0.1:$HOOK/", wait_log("synced .*fix the typo")]


EXCERPT = "(no command, line 177)"


def agent_log_failures(box: Sandbox) -> list[str]:
    """gitops.md's excerpt of the agent's output, against the log of the page's agent."""
    excerpt = next(b for b in blocks((ROOT / "docs" / "gitops.md").read_text())
                   if b.key == EXCERPT)
    log = (box.tmp / "agent.log").read_text()
    lacking = missing(excerpt.shown[0], log, {str(box.tmp): "<ROOT>"})
    return [f"docs/gitops.md:{excerpt.line}: not in the agent's log: {lacking}\n{log}"] \
        if lacking else []


def gitops_page() -> Page:
    found = blocks((ROOT / "docs" / "gitops.md").read_text())
    commands = {c for b in found for c in b.commands}
    variants = {c: demo(c) for c in commands if demo(c) != c}
    variants |= {
        "cat services.yaml": "printf '%s' \"$SITE\" > services.yaml && cat services.yaml",
        AGENT: AGENT_RUN,
        KILL: "kill -TERM $(cat $DEMO/agent.pid) && while kill -0 $(cat $DEMO/agent.pid); "
              "do sleep 0.2; done 2>/dev/null",
        # Ctrl-C after 6 s (the agent's applies are done: nothing to do)
        "reconciler -C /srv/agent sync file:///srv/git/deploy.git --ui --ui-port 8766":
            "timeout --preserve-status -s INT 6 "
            + demo("reconciler -C /srv/agent sync file:///srv/git/deploy.git --ui --ui-port 8766"),
    }
    return Page(
        "docs/gitops.md", gitops_demo,
        run=tuple(b.key for b in found if b.commands),
        excepted={EXCERPT: "the agent's output meanwhile: compared with its log after the "
                  "page (agent_log_failures)"},
        variants=variants,
        codes={"reconciler -C agent sync file:///tmp/gitops-demo/site.git --once": 1},
        before={"curl -s -o /dev/null -w \"%{http_code}\\n\" http://127.0.0.1:8089/": FIXED_TYPO,
                KILL: [wait_log("synced .*fix the typo", 2),
                       push("drop the worker", "/^  worker:/,\\$d"),
                       wait_log("synced .*drop the worker")],
                AGENT: ["(cd work && sed -i 's/^    health:/    health_check:/' services.yaml "
                        "&& git commit -qam 'health_check, not health' && git push -q origin "
                        "main)"]},
        paths={"/tmp/gitops-demo": "<ROOT>", "/tmp/gitops-demo/agent": "<PROJECT>",
               "/srv/agent": "<PROJECT>",
               "on vm)": "on <HOST>)", f"on {socket.gethostname()})": "on <HOST>)"})


RUN_KEEP = ("reconciler run --with redis --keep -- sh -c 'echo \"$REDIS_URL\"; "
            "reconciler status'")


def empty_dir(box: Sandbox) -> Path:
    """sessions.md's `run`: a directory without any config (the redis stack is the project)."""
    require("redis-bin")
    return project(box, box.tmp / "app", {})


SYNCED_SOPS = ("an agent on another machine and a laptop (prompts `agent$`/`laptop$`): "
               "test_sops_sync.py runs this rotation and refusal through a sync agent")

PAGES = [
    Page("docs/secrets.md", sops_shop,
         run=("reconciler secrets init",
              "sops set secrets.enc.yaml '[\"db\"][\"password\"]' '\"battery-staple\"'",
              "reconciler validate        # a typo in the key path; found without any key"),
         excepted={"(no command, line 129)": SYNCED_SOPS,
                   "(no command, line 147)": SYNCED_SOPS,
                   "(no command, line 164)": SYNCED_SOPS},
         codes={"reconciler validate        # a typo in the key path; found without any key": 1},
         # the typo, and no age key anywhere (the page: "found without any key")
         before={"reconciler validate        # a typo in the key path; found without any key":
                 ["sed -i 's/#db.password/#db.pasword/' services.yaml",
                  "mv $XDG_CONFIG_HOME/sops/age/keys.txt ~/keys.txt.away"]},
         # the sandbox's XDG_CONFIG_HOME is <ROOT>/config: the page's is ~/.config
         paths={"/tmp/sopsdoc/shop": "<PROJECT>", "/home/me/.config": "<ROOT>/config"}),
    Page("docs/packages.md", collector, run=("reconciler validate",),
         codes={"reconciler validate": 1}, paths={"/home/me/proj": "<PROJECT>"}),
    Page("docs/compose.md", compose_project, run=("reconciler validate",),
         codes={"reconciler validate": 1}),
    gitops_page(),
    # `run` picks a fresh run-<hex> session only without RECONCILER_SESSION (the sandbox's);
    # its output kept for the cleanup (AFTER destroys the kept session)
    Page("docs/sessions.md", empty_dir, run=(RUN_KEEP,),
         # the random session name shown as the page's (as a pid is normalized)
         variants={RUN_KEEP: f"env -u RECONCILER_SESSION {RUN_KEEP} > run.out 2>&1; "
                   "rc=$?; sed -E 's/run-[0-9a-f]{6}/run-4f53a6/g' run.out; (exit $rc)"}),
]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path)
    try:
        yield box
    finally:
        assert not box.close()


# what a page leaves behind that would stop the sandbox's destroy (hidden lines run after it)
AFTER = {"docs/secrets.md": ["sed -i 's/#db.pasword/#db.password/' services.yaml"],
         "docs/sessions.md": ["env -u RECONCILER_SESSION $(grep -o 'reconciler -C . "
                              "--session run-[0-9a-f]* destroy --auto-approve' run.out)"],
         "docs/gitops.md": ["kill -9 $(cat $DEMO/agent.pid)",
                            "reconciler -C $DEMO/agent sync destroy --auto-approve"]}


@pytest.mark.parametrize("page", PAGES, ids=[p.path for p in PAGES])
def test_console_examples(page: Page, sandbox: Sandbox) -> None:
    try:
        failures = check_page(page, sandbox)
        if page.path == "docs/gitops.md":
            failures += agent_log_failures(sandbox)
    finally:
        sandbox.run([], AFTER.get(page.path))
    assert not failures, "\n\n".join(failures)


def test_cli_md_shows_the_blocks_of_cli_intro() -> None:
    """docs/cli.md is generated from docs/cli-intro.md: the same console blocks, run there."""
    def commands(name: str) -> list[list[str]]:
        return [b.commands for b in blocks((ROOT / "docs" / name).read_text())]

    assert commands("cli.md") == commands("cli-intro.md")


def test_secrets_init_writes_the_key_where_sops_looks(sandbox: Sandbox) -> None:
    """With XDG_CONFIG_HOME set, sops reads $XDG_CONFIG_HOME/sops/age/keys.txt: `secrets init`
    writes the key there (it wrote ~/.config/..., so sops found no key), and sops decrypts
    with it, given no other key."""
    shop = sops_shop(sandbox)
    sandbox.cwd = shop
    ran = sandbox.run(["reconciler secrets init",
                       "printf 'db:\\n  password: pw\\n' > s.enc.yaml && "
                       "sops encrypt --in-place s.enc.yaml && sops decrypt s.enc.yaml"])
    assert [r.code for r in ran] == [0, 0], ran
    key = sandbox.tmp / "config" / "sops" / "age" / "keys.txt"
    assert f"Age key: {key} " in ran[0].output and key.is_file()
    assert "password: pw" in ran[1].output
