"""Content-addressed packages (kind `package`)."""
