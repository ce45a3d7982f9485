"""Tamper-evident audit trail: BLAKE3 hash chain, signed Merkle checkpoints, WORM anchor.

Writing (one `AuditLog` per process and workspace; appends from other processes are serialised
by a file lock and never fork the chain)::

    from driftdeck.core.audit import AuditLog, default_actor

    log = AuditLog.open(workspace)                       # creates log + key on first use
    e = log.append("operator.note",                      # -> Entry (e.seq, e.hash)
                   subject={"address": "aws_s3_bucket.logs", "provider_id": "logs-bkt"},
                   data={"text": "rotating keys"}, before={...}, after={...},
                   actor=None)                           # None: OS user + host (default_actor())
    log.append("remediation.applied", data={...})        # fsync + signed checkpoint before return
    with log.batch():                                     # many appends, one lock, group commit
        ...
    log.checkpoint("reason")                             # sign now (also periodic, on heartbeat)
    log.close()                                          # session-end checkpoint (or `with log:`)
    # Write failures (disk full, I/O) raise AuditWriteError (a DriftdeckError: exit 2); lines other
    # processes appended are authenticated before anything is signed over them (see authn.py).

    default_actor(aws_identity=sts.get_caller_identity())   # user, host, aws_arn, aws_account
    cloud_actor("arn:aws:iam::1:user/x", via="console")      # for attributed cloud changes

Reading (for the TUI; safe while others append)::

    reader = AuditReader.for_workspace(workspace)        # pinned keys from the config
    reader.iter_entries(kinds={"drift.detected"}, resource="aws_s3_bucket.logs",
                        actor="alice", since="2026-11-01", until=None, limit=50)  # newest first
    reader.get(seq)                                      # one Entry, before/after resolved
    reader.entries_since(seq)                            # newer entries, oldest first (polling)
    reader.state()                                       # VerificationState, incremental:
                                                         #   "verified" up to seq N / "tampered" at K

Verifying (what `driftdeck audit verify` runs)::

    result = verify_workspace(workspace)                 # pinned keys + anchor from the config
    result.exit_code                                     # 0 verified, 2 tampered, 3 cannot verify
    result.findings                                      # Finding(code, detail, segment, line, seq)

Scans: `record_scan(log, report, workspace=...)` in `driftdeck.core.audit.scan_events` appends one
`drift.detected` / `drift.resolved` per status transition and a `scan.completed`.
Configuration (log dir, key file, pinned keys, S3 Object Lock anchor): see `config.py`.
"""

from driftdeck.core.audit.actor import cloud_actor, default_actor
from driftdeck.core.audit.anchor import Anchor, AnchorError, S3ObjectLockAnchor
from driftdeck.core.audit.canonical import NonCanonicalError, canonical_bytes
from driftdeck.core.audit.chain import Finding
from driftdeck.core.audit.entry import KINDS, Entry
from driftdeck.core.audit.location import AnchorConfig, AuditConfig
from driftdeck.core.audit.log import AuditLog, AuditWriteError
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
    "AuditWriteError",
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
