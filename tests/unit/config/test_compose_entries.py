"""Compose in model.build: discovered compose files, `type: compose` entries, and dependencies
between services.yaml services and Compose services in both directions (pure, no Docker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.config import load
from reconciler.engine.local_host import LocalHost
from reconciler.errors import Severity
from reconciler.model.build import build
from reconciler.model.types import Address, Condition

COMPOSE = """
services:
  web:
    image: busybox
    environment: {MODE: "${MODE:-dev}", API_TOKEN: hunter2}
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  worker:
    image: busybox
    depends_on: {web: {condition: service_healthy}}
    profiles: [jobs]
"""
SERVICES = """
name: shop
services:
  api:
    command: "sleep 100"
    depends_on: [compose.web]
"""


def deps(result: Any, address: str) -> list[tuple[str, str]]:
    resource = result.resource(address)
    return [(str(d.target), d.condition.value) for d in resource.depends_on]


def addresses(result: Any) -> set[Address]:
    assert result.state is not None
    return set(result.state.resources)


def test_discovered_compose_file_becomes_resources_after_the_others(run: Any) -> None:
    result = run({"services.yaml": SERVICES, "compose.yaml": COMPOSE}, env={"MODE": "ci"})
    assert result.errors == []
    web = result.resource("compose.compose.web")
    assert web.spec["project"] == "shop_compose"
    assert web.spec["definition"]["environment"]["MODE"] == "ci"
    assert "hunter2" not in str(web.spec) and web.secrets
    assert web.source is not None and web.source.file.endswith("compose.yaml")
    assert web.order > result.resource("process.api").order
    assert "compose.compose.worker" not in {str(a) for a in addresses(result)}
    assert deps(result, "process.api") == [("compose.compose.web", "service_healthy")]


def test_session_scopes_the_compose_project_name(run: Any) -> None:
    result = run({"services.yaml": SERVICES, "compose.yaml": COMPOSE}, session="ci7")
    assert result.resource("compose.compose.web").spec["project"] == "shop_ci7_compose"


def test_entry_with_files_profiles_env_file_and_depends_on(run: Any) -> None:
    files = {
        "services.yaml": """
            name: shop
            services:
              api: {command: "sleep 100", port: auto}
              shop:
                type: compose
                files: [deploy/app.yaml]
                profiles: [jobs]
                env_file: deploy/ci.env
                depends_on: {api: {condition: service_started}}
              front:
                command: "sleep 100"
                depends_on: [shop.worker]
        """,
        "deploy/app.yaml": COMPOSE,
        "deploy/ci.env": "MODE=from-env-file\n",
    }
    result = run(files)
    assert result.errors == []
    web = result.resource("compose.shop.web")
    assert web.spec["profiles"] == ["jobs"]
    assert web.spec["env_file"].endswith("deploy/ci.env")
    assert web.spec["definition"]["environment"]["MODE"] == "from-env-file"
    assert deps(result, "compose.shop.web") == [("process.api", "service_started")]
    assert deps(result, "compose.shop.worker") == [
        ("compose.shop.web", "service_healthy"), ("process.api", "service_started")]
    assert deps(result, "process.front") == [("compose.shop.worker", "service_healthy")]
    assert Address("compose", "shop") not in addresses(result)


def test_project_name_and_nested_target_shape(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          app:
            target: {type: compose, files: compose.yaml, project_name: Fixed.Name}
    """, "compose.yaml": COMPOSE})
    assert result.errors == []
    assert result.resource("compose.app.web").spec["project"] == "fixed_name"
    # the entry manages compose.yaml, so it is not discovered a second time
    assert not any(a.name.startswith("compose.") for a in addresses(result))


def test_plain_service_name_and_whole_entry_references(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          a: {command: "sleep 1", depends_on: [web]}
          b: {command: "sleep 1", depends_on: {compose: {condition: service_started}}}
    """, "compose.yaml": COMPOSE})
    assert result.errors == []
    assert deps(result, "process.a") == [("compose.compose.web", Condition.HEALTHY.value)]
    assert deps(result, "process.b") == [("compose.compose.web", "service_started")]


def test_ambiguous_plain_name_is_an_error_listing_the_candidates(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          one: {type: compose, files: [a.yaml]}
          two: {type: compose, files: [b.yaml]}
          api: {command: "sleep 1", depends_on: [web]}
    """, "a.yaml": COMPOSE, "b.yaml": COMPOSE})
    assert any("several Compose services are named: one.web, two.web" in e
               and "services.yaml:4:" in e for e in result.errors), result.errors


def test_services_yaml_name_wins_over_a_compose_service_with_a_warning(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          web: {command: "sleep 1"}
          api: {command: "sleep 1", depends_on: [web]}
    """, "compose.yaml": COMPOSE})
    assert result.errors == []
    assert deps(result, "process.api") == [("process.web", "service_healthy")]
    assert any("both the process 'web'" in w and "compose.web" in w for w in result.warnings)


def test_unknown_compose_reference_suggests_a_close_name(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          api: {command: "sleep 1", depends_on: [compose.wbe]}
    """, "compose.yaml": COMPOSE})
    assert any("unknown service 'compose.wbe'" in e and "did you mean 'compose.web'" in e
               for e in result.errors), result.errors


def test_cycle_through_a_compose_entry_is_found(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          api: {command: "sleep 1", depends_on: [shop.web]}
          shop: {type: compose, files: [app.yaml], depends_on: [api]}
    """, "app.yaml": COMPOSE})
    assert any("dependency cycle: " in e and "api" in e and "shop" in e
               for e in result.errors), result.errors


def test_entry_depending_on_its_own_service_is_an_error(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          shop: {type: compose, files: [app.yaml], depends_on: [shop.web]}
    """, "app.yaml": COMPOSE})
    assert any("depends on its own service" in e for e in result.errors), result.errors


def test_entry_named_like_another_service_is_a_duplicate(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          shop: {type: compose, files: [app.yaml]}
    """, "locald.toml": """
        [services.shop]
        command = "sleep 1"
    """, "app.yaml": COMPOSE})
    assert any("'shop' is defined twice" in e for e in result.errors), result.errors


def test_entry_named_compose_clashes_with_the_discovered_file(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          compose: {type: compose, files: [other.yaml]}
    """, "other.yaml": COMPOSE, "compose.yaml": COMPOSE})
    assert any("'compose' is taken by the auto-discovered compose.yaml" in e
               for e in result.errors), result.errors


def test_compose_keys_and_types_are_validated(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          shop: {type: compose, files: [app.yaml], image: busybox, env: {A: "1"}}
        tasks:
          t: {type: compose, files: [app.yaml]}
    """, "app.yaml": COMPOSE})
    assert any("key 'image' does not apply to a compose service" in e for e in result.errors)
    assert any("task 't' cannot have type 'compose'" in e for e in result.errors)
    assert any("'env' does not apply to compose entry 'shop'" in w for w in result.warnings)


def test_missing_compose_file_is_an_error_naming_it(run: Any) -> None:
    result = run({"services.yaml": """
        services:
          shop: {type: compose, files: [missing.yaml]}
          api: {command: "sleep 1", depends_on: [shop]}
    """})
    assert any("missing.yaml" in e for e in result.errors), result.errors
    assert not any("unknown service" in e for e in result.errors)


def test_a_file_reached_through_a_symlink_is_the_same_compose_file(tmp_path: Path) -> None:
    """Compose paths are resolved by the host (symlinks followed): an entry listing a link to
    compose.yaml claims it, and a project directory reached through a link gives the real
    paths, so a link never makes the same file a second Compose project."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real/services.yaml").write_text(
        "services: {app: {type: compose, files: stack.yml}}\n")
    (tmp_path / "real/compose.yaml").write_text(COMPOSE)
    (tmp_path / "real/stack.yml").symlink_to(tmp_path / "real/compose.yaml")
    docs, problems = load(tmp_path / "link")
    assert problems == []
    state, diagnostics = build(docs, env={}, host=LocalHost({}))
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    assert {str(a) for a in state.resources} == {"compose.app.web"}  # compose.yaml claimed
    assert state.resources[Address("compose", "app.web")].spec["files"] == [
        str(tmp_path / "real/compose.yaml")]
