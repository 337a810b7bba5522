"""Fixture implementations for integration tests against real components.

docker_env (Docker client helpers, a clean-up registry, Compose v1/v2 CLIs), netns_net (run
directory, subnet claims, bridge, stale-run reaping), netns_hosts (SSH hosts: a network namespace
plus a pid/mount/uts namespace running its own sshd) and wireguard (wireguard-go interfaces).
The pytest fixtures that wrap them live in tests/integration/conftest.py.
"""
