"""Suite-wide test plumbing: the `require` helper, its fixture and the `requires` marker.

`require(component, ...)` (implemented in tests/integration/infra/components.py) checks real
components of the test machine: docker, compose-v1, compose-v2, sshd, netns, wireguard,
postgres-bin, redis-bin. With `CI=true` (or `CI=1`) a missing one fails the test with a message
that names it and says to run scripts/setup-test-env.sh; elsewhere the test is skipped with the
reason. Use it as a function, as the `require` fixture, or as
`@pytest.mark.requires("docker", ...)`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_INTEGRATION = str(Path(__file__).resolve().parent / "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)  # makes the `infra` package importable everywhere

from infra.components import COMPONENTS, in_ci, missing_reason, require  # noqa: E402

__all__ = ["COMPONENTS", "in_ci", "missing_reason", "require"]


@pytest.fixture(scope="session", name="require")
def require_fixture() -> Callable[..., None]:
    """The `require(component, ...)` helper, as a fixture for tests and other fixtures."""
    return require


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*components): the test needs these real components "
        f"({', '.join(COMPONENTS)}); fails under CI=true, skips elsewhere",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers(name="requires"):
        require(*marker.args)
