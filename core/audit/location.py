"""Where the audit log, its key and its trust anchors live.

Everything a verifier trusts (pinned public keys, the anchor) comes from the operator's own
configuration, never from the log directory. Locations, in order of precedence:

- config dir: `$DRIFTDECK_CONFIG_DIR`, else the platform user config dir (`platformdirs`);
- `<config dir>/audit.toml` (optional)::

      log_dir = "/var/log/driftdeck"        # default: <workspace>/.driftdeck/audit
      key_file = "~/.config/driftdeck/audit-signing-key"
      trusted_keys = ["driftdeck-audit+1a2b3c4d+AQ..."]
      revoked_keys = ["driftdeck-audit+5e6f7a8b+AQ..."]
      heartbeat_seconds = 3600
      [anchor]
      kind = "s3"
      bucket = "acme-audit-anchor"          # Object Lock enabled, COMPLIANCE mode
      prefix = "driftdeck/prod/"            # default: driftdeck/audit/<log origin>/
      retention_days = 365

- signing key: `$DRIFTDECK_AUDIT_KEY`, else `key_file`, else `<config dir>/audit-signing-key`;
- pinned keys: `trusted_keys` plus one per line in `<config dir>/audit-trusted-keys` (a new key
  is pinned there when driftdeck creates it).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from driftdeck.core.audit.signed_note import VerifierKey
from driftdeck.core.errors import InputError

TRUST_FILE = "audit-trusted-keys"


def config_dir() -> Path:
    env = os.environ.get("DRIFTDECK_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir("driftdeck"))


@dataclass(frozen=True)
class AnchorConfig:
    kind: str = "s3"
    bucket: str = ""
    prefix: str | None = None
    retention_days: int = 365
    region: str | None = None


@dataclass(frozen=True)
class AuditConfig:
    log_dir: Path | None = None
    key_file: Path | None = None
    trusted_keys: tuple[str, ...] = ()
    revoked_keys: tuple[str, ...] = ()
    anchor: AnchorConfig | None = None
    heartbeat_seconds: int = 3600
    # Group commit: fsync after this many entries or seconds, whichever comes first.
    commit_entries: int = 512
    commit_seconds: float = 1.0
    # A periodic checkpoint every this many entries, besides session end / remediation / config.
    checkpoint_entries: int = 10_000
    segment_entries: int = 100_000
    inline_limit: int = 2048  # before/after larger than this (canonical bytes) go to blobs
    config_dir: Path = field(default_factory=config_dir)

    @classmethod
    def load(cls, path: Path | None = None) -> AuditConfig:
        """Read `audit.toml` from the config dir (or `path`); defaults when it does not exist."""
        base = config_dir()
        path = path or base / "audit.toml"
        raw: dict[str, Any] = {}
        if path.exists():
            try:
                raw = tomllib.loads(path.read_text())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"invalid TOML: {exc}", file=str(path)) from exc
        anchor = None
        if "anchor" in raw:
            a = raw["anchor"]
            if a.get("kind", "s3") != "s3" or not a.get("bucket"):
                raise InputError("[anchor] needs kind = \"s3\" and a bucket", file=str(path))
            anchor = AnchorConfig(
                kind="s3",
                bucket=str(a["bucket"]),
                prefix=a.get("prefix"),
                retention_days=int(a.get("retention_days", 365)),
                region=a.get("region"),
            )
        known = {"log_dir", "key_file", "trusted_keys", "revoked_keys", "anchor", "heartbeat_seconds"}
        unknown = set(raw) - known
        if unknown:
            raise InputError(f"unknown settings {sorted(unknown)}", file=str(path))
        return cls(
            log_dir=Path(raw["log_dir"]).expanduser() if "log_dir" in raw else None,
            key_file=Path(raw["key_file"]).expanduser() if "key_file" in raw else None,
            trusted_keys=tuple(raw.get("trusted_keys", ())),
            revoked_keys=tuple(raw.get("revoked_keys", ())),
            anchor=anchor,
            heartbeat_seconds=int(raw.get("heartbeat_seconds", 3600)),
            config_dir=base,
        )

    def log_dir_for(self, workspace: Path) -> Path:
        return self.log_dir if self.log_dir is not None else workspace / ".driftdeck" / "audit"

    def key_path(self) -> Path:
        env = os.environ.get("DRIFTDECK_AUDIT_KEY")
        if env:
            return Path(env)
        return self.key_file if self.key_file is not None else self.config_dir / "audit-signing-key"

    def witness_path(self) -> Path:
        """The local witness of signed checkpoints, beside the signing key (see witness.py)."""
        return self.key_path().parent / "audit-witness.json"

    def trust_file(self) -> Path:
        return self.config_dir / TRUST_FILE

    def pinned_keys(self) -> list[VerifierKey]:
        """Trusted verifier keys: configured ones plus the trust file; bad entries are input errors."""
        texts = list(self.trusted_keys)
        trust = self.trust_file()
        if trust.exists():
            texts += [ln.strip() for ln in trust.read_text().splitlines() if ln.strip()]
        keys: list[VerifierKey] = []
        for text in texts:
            try:
                key = VerifierKey.parse(text)
            except ValueError as exc:
                raise InputError(str(exc), file=str(trust)) from exc
            if all(k.key_id != key.key_id for k in keys):
                keys.append(key)
        return keys

    def revoked_ids(self) -> frozenset[bytes]:
        out = set()
        for text in self.revoked_keys:
            try:
                out.add(VerifierKey.parse(text).key_id)
            except ValueError as exc:
                raise InputError(str(exc)) from exc
        return frozenset(out)

    def pin(self, key: VerifierKey) -> None:
        """Append a key to the trust file (done once, when driftdeck creates the signing key)."""
        trust = self.trust_file()
        trust.parent.mkdir(parents=True, exist_ok=True)
        with trust.open("a") as f:
            f.write(key.encode() + "\n")
