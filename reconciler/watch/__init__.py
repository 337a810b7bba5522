"""The watcher: loop, event sources, queue, backoff, blast-radius budget, report."""
