"""Local and remote processes (kind `process`)."""
