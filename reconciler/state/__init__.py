"""State: the SQLite store of last-applied records, runs, the audit journal and the lease.

The only package that writes a project's state database. See docs/state-format.md.
"""

from reconciler.state.journal import Journal
from reconciler.state.lease import Lease
from reconciler.state.records import ResourceRecord
from reconciler.state.store import StateStore

__all__ = ["Journal", "Lease", "ResourceRecord", "StateStore"]
