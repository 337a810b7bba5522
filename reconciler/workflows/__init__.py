"""Workflows over the engine: sessions (run --with), status, the git hook."""
