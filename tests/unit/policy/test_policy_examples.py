"""Each example rule of issue 8, once allowing and once denying."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import container, decide, load_ok, outcome, process

from reconciler.model.changes import Action
from reconciler.policy.evaluation import EffectivePolicy

NO_PRIVILEGED = """
version: 1
rules:
  - id: no-privileged
    match: {kinds: [container]}
    when: spec.privileged == true
    decision: deny
    message: "{address} must not run privileged"
"""


def test_no_privileged_containers(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, NO_PRIVILEGED)
    assert outcome(policy, container(privileged=True)) == "deny"
    assert outcome(policy, container(privileged=False)) == "allow"
    result = decide(policy, [container("evil", privileged=True)])
    assert result.denied[0].reason == "container.evil must not run privileged"
    assert not result.exit_ok


def test_rule_of_another_kind_does_not_apply(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, NO_PRIVILEGED)
    assert outcome(policy, process(privileged=True)) == "allow"


@pytest.mark.parametrize("text", [
    """
    version: 1
    rules:
      - id: registry
        match: {kinds: [container]}
        when: '!spec.image.startsWith("registry.example/")'
        decision: deny
        message: image not from registry.example
    """,
    """
    version: 1
    allowed_registries: [registry.example]
    """,
])
def test_only_approved_registries(tmp_path: Path, text: str) -> None:
    policy = load_ok(tmp_path, text)
    assert outcome(policy, container(image="registry.example/team/app:2")) == "allow"
    assert outcome(policy, container(image="docker.io/library/redis:7")) == "deny"
    assert outcome(policy, container(image="registry.example.evil/app")) == "deny"


def test_allowed_registries_understands_docker_hub_short_names(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, "version: 1\nallowed_registries: [docker.io/library]\n")
    assert outcome(policy, container(image="postgres:16")) == "allow"
    assert outcome(policy, container(image="someone/postgres:16")) == "deny"
    assert outcome(policy, container(image="localhost:5000/postgres")) == "deny"
    # deleting a container with a foreign image is always fine
    assert outcome(policy, container(image="evil/x", action=Action.DELETE)) == "allow"


PUBLIC_PORTS = """
version: 1
rules:
  - id: no-public-ports
    when: >-
      has(spec.ports) && spec.ports.exists(p,
      !has(p.host_ip) || p.host_ip == "0.0.0.0" || p.host_ip == "")
    decision: deny
    message: "{address} binds a port on every interface"
"""


@pytest.mark.parametrize(("ports", "expected"), [
    ([{"host_ip": "127.0.0.1", "host_port": 8080, "container_port": 80}], "allow"),
    ([], "allow"),
    ([{"host_ip": "0.0.0.0", "host_port": 8080, "container_port": 80}], "deny"),
    ([{"host_ip": "127.0.0.1", "host_port": 1}, {"host_ip": "", "host_port": 2}], "deny"),
    ([{"host_port": 8080, "container_port": 80}], "deny"),
])
def test_no_public_port_binds(tmp_path: Path, ports: list[dict[str, object]],
                              expected: str) -> None:
    policy = load_ok(tmp_path, PUBLIC_PORTS)
    assert outcome(policy, container(ports=ports)) == expected


def test_process_without_ports_is_allowed(tmp_path: Path) -> None:
    assert outcome(load_ok(tmp_path, PUBLIC_PORTS), process()) == "allow"


PROTECT = """
version: 1
protect: [container.db]
"""


@pytest.mark.parametrize(("action", "expected"), [
    (Action.CREATE, "allow"), (Action.UPDATE, "allow"),
    (Action.REPLACE, "require_approval"), (Action.DELETE, "require_approval"),
])
def test_protected_database(tmp_path: Path, action: Action, expected: str) -> None:
    policy = load_ok(tmp_path, PROTECT)
    before = {"image": "registry.example/pg:15"}
    assert outcome(policy, container("db", action=action, before=before)) == expected
    assert outcome(policy, container("cache", action=action, before=before)) == "allow"


def test_protected_needs_approval_is_not_exit_ok(tmp_path: Path) -> None:
    result = decide(load_ok(tmp_path, PROTECT), [container("db", action=Action.DELETE)])
    assert [d.address.name for d in result.needs_approval] == ["db"]
    assert not result.exit_ok and result.denied == []


def test_protect_rule_written_by_hand(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: protect-db
            match: {names: [container.db], actions: [delete, replace]}
            decision: require_approval
            message: the database needs approval
        """)
    assert outcome(policy, container("db", action=Action.DELETE)) == "require_approval"
    assert outcome(policy, container("db", action=Action.UPDATE, before={})) == "allow"


@pytest.mark.parametrize("text", [
    "version: 1\nallowed_hosts: [web1, 'edge-*']\n",
    """
    version: 1
    rules:
      - id: listed-hosts
        when: '!(host in ["local", "web1"] || host.startsWith("edge-"))'
        decision: deny
        message: "{host} is not a listed host"
    """,
])
def test_only_listed_hosts(tmp_path: Path, text: str) -> None:
    policy = load_ok(tmp_path, text)
    assert outcome(policy, process(host="web1")) == "allow"
    assert outcome(policy, process(host="edge-3")) == "allow"
    assert outcome(policy, process()) == "allow"
    assert outcome(policy, process(host="db9")) == "deny"


def test_labels_and_changed_fields(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, """
        version: 1
        rules:
          - id: env-of-prod
            match: {labels: {tier: "prod*"}, actions: [update]}
            when: changed.exists(p, p.startsWith("env"))
            decision: warn
            message: production environment changes
        """)
    before = {"image": "registry.example/app:1", "privileged": False, "ports": [],
              "labels": {"tier": "production"}, "env": {"A": "1"}}
    changed = container(action=Action.UPDATE, before=before, labels={"tier": "production"},
                        env={"A": "2"})
    result = decide(policy, [changed])
    assert result.final[0].outcome.value == "warn"
    assert [w.rule_id for w in result.warnings] == ["env-of-prod"]
    assert result.exit_ok and len(result.allowed) == 1
    same_env = container(action=Action.UPDATE, before=before, labels={"tier": "production"},
                         env={"A": "1"}, image="registry.example/app:2")
    assert outcome(policy, same_env) == "allow"
    other_tier = container(action=Action.UPDATE, before={**before, "labels": {"tier": "dev"}},
                           labels={"tier": "dev"}, env={"A": "2"})
    assert outcome(policy, other_tier) == "allow"


def test_noop_changes_are_not_decided(tmp_path: Path) -> None:
    policy = load_ok(tmp_path, NO_PRIVILEGED)
    result = decide(policy, [container(action=Action.NOOP, privileged=True)])
    assert result.decisions == [] and result.records == [] and result.exit_ok


def test_empty_policy_allows_everything() -> None:
    result = decide(EffectivePolicy(), [container(privileged=True)])
    final = result.final[0]
    assert (final.outcome.value, final.rule_id) == ("allow", "default")
    assert result.exit_ok
