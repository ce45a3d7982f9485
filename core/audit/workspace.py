"""Verify a workspace's log with the operator's configuration (pinned keys, anchor)."""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.audit.anchor import Anchor, anchor_from_config
from driftdeck.core.audit.config import AuditConfig
from driftdeck.core.audit.log import require_log_dir
from driftdeck.core.audit.verify import VerifyResult, verify

_FROM_CONFIG: Anchor | None = None


def verify_workspace(workspace: Path, *, config: AuditConfig | None = None, hash_only: bool = False,
                     anchor: Anchor | None | str = "config") -> VerifyResult:
    """Verify the log of `workspace`; the anchor comes from the config unless one is given (or None)."""
    config = config or AuditConfig.load()
    workspace = Path(workspace).resolve()
    log_dir = require_log_dir(workspace, config)
    chosen = anchor_from_config(config.anchor, workspace) if anchor == "config" else anchor
    assert not isinstance(chosen, str)
    return verify(log_dir, config.pinned_keys(), revoked=config.revoked_ids(), anchor=chosen, hash_only=hash_only)
