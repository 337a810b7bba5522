"""What the ``process`` and ``task`` kinds share: running a command as a marked service.

Not a kind (no ``KIND``): the typed spec (spec.py), the environment, log file and working
directory of a spawned command (files.py), stopping the marked processes of an address
(stop.py) and the remote path through one round trip per step (remote.py). The kind packages
import this one, never each other (the independence contract in pyproject.toml).
"""
