"""The console examples of the secrets, packages, compose, sessions and cli pages (issue 30),
run in their page's context by the harness of test_docs_examples.py (its ``Page`` table and
``check_page``): secrets.md with the real ``sops`` and an age key made in the sandbox,
packages.md on the package it describes, compose.md with the real Docker and Compose v2,
sessions.md's ``run --keep`` with the redis stack (gitops.md: test_docs_examples_gitops.py).
docs/cli.md is generated from docs/cli-intro.md (whose blocks test_docs_examples.py runs): its
blocks must be exactly cli-intro's. ``AFTER`` holds what a page leaves to clean up.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from infra.components import require
from infra.docs_sandbox import ROOT, Sandbox
from test_docs_examples import Page, check_page
from testing.doc_examples import blocks

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
SHOP_ENTRY = """\
services:
  app:
    type: compose
    project_name: {name}
"""
SHOP_COMPOSE = """\
services:
  web:
    image: reconciler-test/busybox:1
    init: true
    command: ["sleep", "3600"]
"""
UP = "docker compose -p shop up -d              # started by hand, in the entry's directory"


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


CPROJ = f"docshop{uuid.uuid4().hex[:8]}"  # the page's Compose project `shop`, unique here


def compose_project(box: Sandbox) -> Path:
    """compose.md's validation example (``depends_on`` written as a string) and, beside it,
    ``shop``: an entry whose project_name is the Compose project started by hand."""
    require("docker", "compose-v2")
    box.env["CPROJ"] = CPROJ
    app = project(box, box.tmp / "app", {"compose.yaml": COMPOSE_FILE})
    project(box, box.tmp / "shop", {"services.yaml": SHOP_ENTRY.format(name=CPROJ),
                                    "compose.yaml": SHOP_COMPOSE})
    return app


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
    Page("docs/compose.md", compose_project, run=("reconciler validate", UP),
         codes={"reconciler validate": 1},
         before={UP: ["cd ../shop"], "reconciler validate": ["cd ../app"]},
         variants={UP: "docker compose -p $CPROJ up -d",
                   "reconciler import compose.app shop": "reconciler import compose.app $CPROJ"},
         paths={CPROJ: "shop"}),
    # `run` picks a fresh run-<hex> session only without RECONCILER_SESSION (the sandbox's);
    # its output kept for the cleanup (AFTER destroys the kept session)
    Page("docs/sessions.md", empty_dir, run=(RUN_KEEP,),
         # the random session name shown as the page's (as a pid is normalized)
         variants={RUN_KEEP: f"env -u RECONCILER_SESSION {RUN_KEEP} > run.out 2>&1; "
                   "rc=$?; sed -E 's/run-[0-9a-f]{6}/run-4f53a6/g' run.out; (exit $rc)"}),
]


# what a page leaves behind that would stop the sandbox's destroy (hidden lines run after it)
AFTER = {"docs/secrets.md": ["sed -i 's/#db.pasword/#db.password/' services.yaml"],
         "docs/sessions.md": ["env -u RECONCILER_SESSION $(grep -o 'reconciler -C . "
                              "--session run-[0-9a-f]* destroy --auto-approve' run.out)"],
         "docs/compose.md": ["docker compose -p $CPROJ down -t 1"]}


@pytest.mark.parametrize("page", PAGES, ids=[p.path for p in PAGES])
def test_console_examples(page: Page, sandbox: Sandbox) -> None:
    try:
        failures = check_page(page, sandbox)
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
