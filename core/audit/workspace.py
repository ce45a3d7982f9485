"""Verify a workspace's log with the operator's configuration (pinned keys, anchor)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from driftdeck.core.audit.anchor import Anchor, AnchorError, anchor_from_config
from driftdeck.core.audit.authn import Authenticator
from driftdeck.core.audit.layout import segments
from driftdeck.core.audit.location import AuditConfig
from driftdeck.core.audit.log import require_log_dir
from driftdeck.core.audit.signing_key import load_signer
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
    log_dir = config.log_dir_for(workspace)
    witness = Witness(config.witness_path())
    chosen: Anchor | None = None
    anchor_for_origin: Callable[[str], Anchor | None] | None = None
    if anchor == "config":
        # The anchor prefix follows the log's origin, which the verifier takes from the signed notes;
        # for a deleted log, the witness remembers which origin lived in this directory.
        if segments(log_dir):
            if config.anchor is not None:
                anchor_for_origin = functools.partial(anchor_from_config, config.anchor)
        else:
            chosen = anchor_from_config(config.anchor, witness.origin_for(log_dir))
    else:
        assert not isinstance(anchor, str)
        chosen, anchor_for_origin = anchor, None
    # With an anchor that holds checkpoints, a deleted log is itself a finding (TRUNCATED to
    # zero entries); otherwise there is simply nothing to verify.
    if not segments(log_dir) and (chosen is None or not _anchored_anything(chosen)):
        require_log_dir(workspace, config)
    return verify(log_dir, config.pinned_keys(), revoked=config.revoked_ids(), anchor=chosen, hash_only=hash_only,
                  authenticator=local_authenticator(config, log_dir), witness=witness,
                  heartbeat_seconds=config.heartbeat_seconds, anchor_for_origin=anchor_for_origin)


def local_authenticator(config: AuditConfig, log_dir: Path) -> Authenticator | None:
    """The line authenticator of the configured signing key, when this machine holds it."""
    path = config.key_path()
    if not path.is_file():
        return None
    try:
        return Authenticator([load_signer(path, log_dir=log_dir)])
    except InputError:
        return None
