"""gitops.md's walkthrough (issue 30), run by the harness of test_docs_examples.py against a bare
repository in the sandbox (the page's /tmp/gitops-demo, with free ports for its fixed ones).
``sync --once`` is bounded by itself; the long-running agent runs in the background (output to
agent.log, pid to agent.pid) while hidden lines push the page's commits and POST its webhook,
and is stopped by its pid (the page's ``kill -TERM``). The agent's output the page shows as an
excerpt is compared with agent.log after the page; what the agent applied is torn down with
``sync destroy`` (and the agent SIGKILLed by pid if still running).
"""

from __future__ import annotations

import socket
from pathlib import Path

from infra.docs_sandbox import ROOT, Sandbox, free_port
from test_docs_examples import Page, check_page
from testing.doc_examples import blocks, missing

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


AFTER = ["kill -9 $(cat $DEMO/agent.pid)", "reconciler -C $DEMO/agent sync destroy --auto-approve"]


def test_gitops_walkthrough(sandbox: Sandbox) -> None:
    try:
        failures = check_page(gitops_page(), sandbox)
        failures += agent_log_failures(sandbox)
    finally:
        sandbox.run([], AFTER)
    assert not failures, "\n\n".join(failures)
