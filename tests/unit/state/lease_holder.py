"""Helper process for the lease tests (not a test module): holds or races for a lease.

usage: lease_holder.py TARGET HOLDER hold [TTL HEARTBEAT]
       lease_holder.py TARGET HOLDER race GO_FILE HOLD_SECONDS
TARGET is a SQLite database file or a postgresql:// state URL.
``hold`` takes the lease, prints ``HELD <pid>`` and sleeps until killed. ``race`` waits for
GO_FILE to exist, tries once, prints ``WON`` (then holds HOLD_SECONDS and releases) or
``LOCKED``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from reconciler.errors import LockedError
from reconciler.state import StateStore


def main(argv: list[str]) -> int:
    target, holder, mode = argv[1], argv[2], argv[3]
    store = (StateStore.open_url(target, state_dir=Path("/nonexistent"), schema="unused")
             if target.startswith("postgresql") else StateStore(Path(target)))
    if mode == "hold":
        ttl = float(argv[4]) if len(argv) > 4 else 30.0
        heartbeat = float(argv[5]) if len(argv) > 5 else 5.0
        store.lease(holder, ttl=ttl, heartbeat=heartbeat).acquire()
        print(f"HELD {os.getpid()}", flush=True)
        while True:
            time.sleep(60)
    go_file, hold = Path(argv[4]), float(argv[5])
    while not go_file.exists():
        time.sleep(0.001)
    try:
        with store.lease(holder):
            print("WON", flush=True)
            time.sleep(hold)
    except LockedError:
        print("LOCKED", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
