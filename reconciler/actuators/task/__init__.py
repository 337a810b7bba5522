"""One-shot tasks (kind `task`), built on the process actuator."""
