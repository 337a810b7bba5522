"""``reconciler sync``: GitOps pull mode. ``sync REPO_URL`` runs the agent; ``sync status``
and ``sync rollback`` talk to it, ``sync destroy`` tears down what it applied (see
docs/gitops.md).

One command with a first argument that is a URL or one of ``status`` / ``rollback`` /
``destroy``. The agent
runs in a worker thread, the main thread only waits for signals: SIGHUP fetches now, the
first SIGINT/SIGTERM stops after the reconcile in progress (services keep running), a second
one exits at once. Logic lives in :mod:`reconciler.sync`; this module parses and prints.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from reconciler.cli.age_key import AgeKeyFileOpt, use_age_key
from reconciler.cli.app import CliExit, Globals, app, echo, globals_of

if TYPE_CHECKING:
    from reconciler.cli.ui_serve import Served
    from reconciler.sync.agent import SyncAgent, SyncOptions

OK_OUTCOMES = ("applied", "in-sync")


@app.command(name="sync")
def sync(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(
        metavar="REPO_URL|status|rollback|destroy",
        help="The repository to follow (file://, ssh://, https://, a path), or `status` / "
             "`rollback` / `destroy` for the agent of this project.")],
    branch: Annotated[str, typer.Option("--branch", help="Branch to follow.")] = "main",
    tag_pattern: Annotated[str | None, typer.Option(
        "--tag-pattern", help="Follow the highest tag matching this glob (e.g. 'v*') "
        "instead of a branch.")] = None,
    path: Annotated[str | None, typer.Option(
        "--path", help="The project's directory inside the repository.")] = None,
    interval: Annotated[str, typer.Option(
        "--interval", help="Time between fetches (and full observations): 60s, 2m, ...")]
    = "60s",
    once: Annotated[bool, typer.Option(
        "--once", help="Fetch, apply and exit (exit 1 when the commit was refused or "
        "failed).")] = False,
    listen: Annotated[str | None, typer.Option(
        "--listen", help="HOST:PORT of a webhook: any POST fetches at once "
        "(e.g. 127.0.0.1:9419).")] = None,
    prune: Annotated[bool, typer.Option(
        "--prune", help="Delete services that left the repository (default: keep and "
        "report them).")] = False,
    verify_signatures: Annotated[bool, typer.Option(
        "--verify-signatures", help="Refuse commits not signed by a key of --keyring.")]
    = False,
    keyring: Annotated[Path | None, typer.Option(
        "--keyring", help="SSH allowed-signers file, or a GnuPG home directory.")] = None,
    ssh_key: Annotated[Path | None, typer.Option(
        "--ssh-key", dir_okay=False, help="Private key for ssh:// URLs.")] = None,
    known_hosts: Annotated[Path | None, typer.Option(
        "--known-hosts", dir_okay=False, help="known_hosts file for ssh:// URLs (strict "
        "host key checking).")] = None,
    max_replace: Annotated[int, typer.Option(
        "--max-replace", min=0, help="Most replacements one commit may cause unattended.")]
    = 3,
    max_delete: Annotated[int, typer.Option(
        "--max-delete", min=0, help="With --prune: most deletes one commit may cause.")]
    = 10,
    parallelism: Annotated[int, typer.Option("--parallelism", min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: one event per line; "
                                          "`status`: one document.")] = False,
    unpin: Annotated[bool, typer.Option(
        "--unpin", help="`rollback --unpin`: follow the branch again.")] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="`rollback`: seconds to wait for the running agent.")] = 120.0,
    auto_approve: Annotated[bool, typer.Option(
        "--auto-approve", help="`destroy`: do not ask.")] = False,
    age_key_file: AgeKeyFileOpt = None,
    ui: Annotated[bool, typer.Option(
        "--ui", help="Serve the live dashboard, with the sync status, from this agent.")]
    = False,
    ui_listen: Annotated[str, typer.Option(
        "--ui-listen", help="HOST:PORT the dashboard serves on (with --ui).")]
    = "127.0.0.1:8765",
    ui_port: Annotated[int | None, typer.Option(
        "--ui-port", min=0, max=65535, help="Just the port of --ui-listen.")] = None,
    ui_token_file: Annotated[Path | None, typer.Option(
        "--ui-token-file", dir_okay=False, help="Read the dashboard's access token from FILE "
        "(default: a random token, printed).")] = None,
) -> None:
    """Follow a git branch (or tags): every new commit is validated, planned, checked
    against the budget and policy.yaml, and applied; drift is healed between fetches."""
    from reconciler.errors import UserError
    from reconciler.sync.agent import SyncOptions
    from reconciler.sync.control import seconds
    from reconciler.sync.git import ssh_command

    g = globals_of(ctx)
    use_age_key(age_key_file)
    if ui and (once or target in ("status", "rollback", "destroy")):
        raise UserError("--ui serves beside the agent's pull loop, not with "
                        + ("--once" if once else f"`sync {target}`"),
                        hint="`reconciler sync REPO_URL --ui` (runs until SIGTERM)")
    if target == "status":
        return _status(g, as_json)
    if target == "destroy":
        return _destroy(g, auto_approve, parallelism)
    if verify_signatures and keyring is None:
        raise UserError("--verify-signatures needs --keyring",
                        hint="an SSH allowed-signers file or a GnuPG home directory")
    ssh = ssh_command(ssh_key, known_hosts)
    if target == "rollback":
        return _rollback(g, unpin, timeout, ssh, keyring if verify_signatures else None)
    options = SyncOptions(url=target, branch=branch, tag_pattern=tag_pattern, path=path,
                          interval=seconds(interval), prune=prune,
                          keyring=keyring if verify_signatures else None,
                          max_replace=max_replace, max_delete=max_delete,
                          parallelism=parallelism)
    if ui_port is not None:
        ui_listen = f"{ui_listen.rpartition(':')[0] or '127.0.0.1'}:{ui_port}"
    served = None
    if ui:  # checked and bound before the loop starts
        from reconciler.cli.ui_serve import UiOptions, prepare_sync

        served = prepare_sync(g, options.path, UiOptions(listen=ui_listen,
                                                         token_file=ui_token_file))
    agent = _agent(g, options, ssh, as_json)
    if once:
        outcome = agent.once()
        agent.project.store.close()
        if outcome not in OK_OUTCOMES:
            raise CliExit(1)
        return None
    return _serve(agent, listen, served)


def _agent(g: Globals, options: SyncOptions, ssh: str | None, as_json: bool) -> SyncAgent:
    from reconciler.render.sync import SyncStream
    from reconciler.sync.control import make_agent

    agent = make_agent(options, directory=g.directory, session=g.session,
                       state_dir=g.state_dir, policy_file=g.policy, ssh=ssh,
                       state_url=g.state, lock_timeout=g.lock_timeout)
    agent.events.subscribe(SyncStream(as_json=as_json))
    return agent


def _serve(agent: SyncAgent, listen: str | None, served: Served | None) -> None:
    from reconciler.cli.foreground import run_until_stopped
    from reconciler.sync.webhook import Webhook, parse_listen

    hook = Webhook(parse_listen(listen), agent.trigger) if listen else None

    def on_hup(signum: int, frame: FrameType | None) -> None:
        agent.trigger("SIGHUP")

    run_until_stopped(agent, "sync", services=[hook, served],
                      handlers={signal.SIGHUP: on_hup}, close=lambda: agent.project.store.close())


def _status(g: Globals, as_json: bool) -> None:
    from reconciler.render.sync import status_text
    from reconciler.sync.control import base_state_dir, status_report, sync_root

    report = status_report(sync_root(g.directory, g.session, g.state_dir), session=g.session,
                           state_dir=base_state_dir(g.directory, g.state_dir),
                           state_url=g.state)
    echo(json.dumps(report, indent=2, sort_keys=True, default=str) if as_json
         else status_text(report))


def _destroy(g: Globals, auto_approve: bool, parallelism: int) -> None:
    """Destroy what the agent applied, from its checkout, under its lock and the lease."""
    from reconciler.cli.plan_run import run_destroy
    from reconciler.errors import UserError
    from reconciler.sync.control import base_state_dir, sync_root, synced_project
    from reconciler.sync.status import AgentLock, SyncStatus

    root = sync_root(g.directory, g.session, g.state_dir).absolute()
    lock = AgentLock(root)
    if not lock.try_acquire():
        holder = lock.holder() or {}
        raise UserError(f"a sync agent (pid {holder.get('pid')} on {holder.get('host')}) "
                        "runs for this project and would apply it again",
                        hint="stop the agent (SIGTERM), then run `sync destroy` again")
    try:
        project = synced_project(root, session=g.session,
                                 state_dir=base_state_dir(g.directory, g.state_dir),
                                 policy_file=g.policy, state_url=g.state,
                                 lock_timeout=g.lock_timeout)
        try:
            code = run_destroy(g, auto_approve=auto_approve, parallelism=parallelism,
                               project=project)
        finally:
            project.store.close()
        status = SyncStatus.load(root)  # a new agent applies its commit afresh
        status.synced, status.applying, status.kept = None, None, []
        status.save(root)
    finally:
        lock.release()
    if code:
        raise CliExit(code)


def _rollback(g: Globals, unpin: bool, timeout: float, ssh: str | None,
              keyring: Path | None) -> None:
    import getpass
    import time

    from reconciler.errors import UserError
    from reconciler.render.sync import short
    from reconciler.sync.agent import SyncOptions
    from reconciler.sync.control import request_pin, sync_root, wait_synced
    from reconciler.sync.status import AgentLock, SyncStatus

    root = sync_root(g.directory, g.session, g.state_dir)
    status = SyncStatus.load(root)
    if not status.url:
        raise UserError("this project was never synced", hint="run `reconciler sync REPO_URL`")
    running = AgentLock(root).busy()
    if unpin:
        if running:
            request_pin(root, {"unpin": True})
        else:
            status.pin = None
            status.save(root)
        echo("unpinned: the agent follows " + (status.ref or "its branch") + " again"
             + ("" if running else " on its next start"))
        return
    previous = status.previous()
    if previous is None:
        raise UserError("there is no previous synced commit to roll back to",
                        hint="`reconciler sync status` shows the synced commits")
    request = {"sha": previous["sha"], "subject": previous.get("subject", ""),
               "at": round(time.time(), 3), "who": getpass.getuser()}
    if running:
        request_pin(root, request)
        after = wait_synced(root, previous["sha"], timeout)
    else:
        status.pin = {**request, "tip": status.tip}
        status.save(root)
        options = SyncOptions(url=status.url, branch=status.branch,
                              tag_pattern=status.tag_pattern, path=status.path,
                              keyring=keyring)
        agent = _agent(g, options, ssh, as_json=False)
        agent.once()
        agent.project.store.close()
        after = SyncStatus.load(root)
    if (after.synced or {}).get("sha") != previous["sha"]:
        why = after.refused.get(previous["sha"]) or (after.last_error or {}).get("message")
        raise UserError(f"rollback to {short(previous['sha'])} did not complete"
                        + (f": {why}" if why else ""),
                        hint="`reconciler sync status` shows what the agent is doing")
    echo(f"rolled back to {short(previous['sha'])} {previous.get('subject', '')!r}; pinned "
         "until the branch moves past it or `reconciler sync rollback --unpin`")
