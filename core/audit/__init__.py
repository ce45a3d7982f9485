"""Tamper-evident audit trail: BLAKE3 hash chain, signed Merkle checkpoints, WORM anchor.

Usage::

    from driftdeck.core.audit import AuditLog, default_actor

    with AuditLog.open(workspace) as log:                # creates the log and key on first use
        e = log.append("operator.note", subject={"address": "aws_s3_bucket.logs"},
                       data={"text": "rotating keys"}, before={...}, after={...})
        e.seq, e.hash                                    # returned once written to the OS
        log.append("remediation.applied", data={...})    # fsync + checkpoint before returning
    # leaving the block writes the session-end checkpoint (log.close())

    from driftdeck.core.audit import verify_workspace
    result = verify_workspace(workspace)                 # result.exit_code: 0 / 2 / 3

Read side (for the TUI)::

    reader = AuditReader(log_dir)                        # or AuditReader.for_workspace(workspace)
    for entry in reader.iter_entries(kinds={"drift.detected"}, resource="aws_s3_bucket.logs"):
        ...                                              # newest first
    reader.get(seq)                                      # one entry, before/after resolved
    reader.entries_since(seq)                            # new appends, oldest first
    reader.state()                                       # incremental: verified up to N / tampered at K

Scan events: `record_scan(log, report, workspace=...)` (driftdeck.core.audit.scan_events).
"""

from driftdeck.core.audit.actor import cloud_actor, default_actor
from driftdeck.core.audit.anchor import Anchor, AnchorError, S3ObjectLockAnchor
from driftdeck.core.audit.canonical import NonCanonicalError, canonical_bytes
from driftdeck.core.audit.chain import Finding
from driftdeck.core.audit.config import AnchorConfig, AuditConfig
from driftdeck.core.audit.entry import KINDS, Entry
from driftdeck.core.audit.log import AuditLog
from driftdeck.core.audit.reader import AuditReader, VerificationState
from driftdeck.core.audit.verify import VerifyResult, verify
from driftdeck.core.audit.workspace import verify_workspace

__all__ = [
    "Anchor",
    "AnchorConfig",
    "AnchorError",
    "AuditConfig",
    "AuditLog",
    "AuditReader",
    "Entry",
    "Finding",
    "KINDS",
    "NonCanonicalError",
    "S3ObjectLockAnchor",
    "VerificationState",
    "VerifyResult",
    "canonical_bytes",
    "cloud_actor",
    "default_actor",
    "verify",
    "verify_workspace",
]
