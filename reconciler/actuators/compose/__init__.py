"""Compose projects (kind `compose`) through the Compose CLI (v2 or v1)."""
