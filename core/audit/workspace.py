"""Verify a workspace's log with the operator's configuration (pinned keys, anchor)."""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.audit.anchor import Anchor, AnchorError, anchor_from_config
from driftdeck.core.audit.authn import Authenticator
from driftdeck.core.audit.config import AuditConfig
from driftdeck.core.audit.keys import load_signer
from driftdeck.core.audit.layout import segments
from driftdeck.core.audit.log import require_log_dir
from driftdeck.core.audit.verify import VerifyResult, verify
from driftdeck.core.audit.witness import Witness
from driftdeck.core.errors import InputError


def _anchored_anything(anchor: Anchor) -> bool:
    try:
        return bool(anchor.sizes())
    except AnchorError:
        return True  # let the verifier report the unreachable anchor (exit 3)


def verify_workspace(workspace: Path, *, config: AuditConfig | None = None, hash_only: bool = False,
                     anchor: Anchor | None | str = "config") -> VerifyResult:
    """Verify the log of `workspace`; the anchor comes from the config unless one is given (or None)."""
    config = config or AuditConfig.load()
    workspace = Path(workspace).resolve()
    chosen = anchor_from_config(config.anchor, workspace) if anchor == "config" else anchor
    assert not isinstance(chosen, str)
    log_dir = config.log_dir_for(workspace)
    # With an anchor that holds checkpoints, a deleted log is itself a finding (TRUNCATED to
    # zero entries); otherwise there is simply nothing to verify.
    if not segments(log_dir) and (chosen is None or not _anchored_anything(chosen)):
        require_log_dir(workspace, config)
    return verify(log_dir, config.pinned_keys(), revoked=config.revoked_ids(), anchor=chosen, hash_only=hash_only,
                  authenticator=local_authenticator(config, log_dir), witness=Witness(config.witness_path()),
                  heartbeat_seconds=config.heartbeat_seconds)


def local_authenticator(config: AuditConfig, log_dir: Path) -> Authenticator | None:
    """The line authenticator of the configured signing key, when this machine holds it."""
    path = config.key_path()
    if not path.is_file():
        return None
    try:
        return Authenticator([load_signer(path, log_dir=log_dir)])
    except InputError:
        return None
