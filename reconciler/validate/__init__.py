"""Stage 2: documents x JSON Schemas (shipped as package data) -> Diagnostics."""
