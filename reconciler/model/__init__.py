"""Stage 3 of the pipeline: the pure desired-state model (types) and its builder."""

from reconciler.model.types import (
    HASH_EXCLUDED_FIELDS,
    LOCAL_HOST,
    Address,
    Condition,
    Dependency,
    DesiredState,
    HealthCheck,
    ProbeKind,
    Resource,
    canonical_json,
    spec_hash,
)

__all__ = [
    "HASH_EXCLUDED_FIELDS",
    "LOCAL_HOST",
    "Address",
    "Condition",
    "Dependency",
    "DesiredState",
    "HealthCheck",
    "ProbeKind",
    "Resource",
    "canonical_json",
    "spec_hash",
]
