"""Readiness probes (tcp, http, command, docker health) and sd_notify."""
