"""Test doubles, kept out of the production package: FakeActuator (an in-memory actuator the
``fake_kind`` fixture registers as kind "fake") and FakeHost (an in-memory BuildHost)."""

from testing.fake_actuator import FakeActuator
from testing.fake_host import FakeHost

__all__ = ["FakeActuator", "FakeHost"]
