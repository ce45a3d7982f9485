"""Helpers for audit tests: a private config dir (key, pinned keys) and small logs to tamper with."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from driftdeck.core.audit import AuditConfig, AuditLog
from driftdeck.core.audit.anchor import Anchor
from driftdeck.core.audit.canonical import canonical_bytes
from driftdeck.core.audit.hashing import entry_hash
from driftdeck.core.audit.verify import VerifyResult, verify
from driftdeck.core.audit.workspace import verify_workspace


class LogKit:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.config_dir = tmp_path / "config"
        monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(self.config_dir))
        monkeypatch.delenv("DRIFTDECK_AUDIT_KEY", raising=False)
        self.workspace = (tmp_path / "ws").resolve()
        self.workspace.mkdir()
        self.config = AuditConfig(config_dir=self.config_dir, checkpoint_entries=1000)

    @property
    def log_dir(self) -> Path:
        return self.config.log_dir_for(self.workspace)

    def open(self, **kwargs: object) -> AuditLog:
        return AuditLog.open(self.workspace, config=self.config, **kwargs)  # type: ignore[arg-type]

    def build(self, n: int = 20, *, checkpoint_every: int | None = None, config: AuditConfig | None = None,
              anchor: Anchor | None = None) -> None:
        """genesis + its checkpoint, n notes (checkpoint every `checkpoint_every`), session-end checkpoint."""
        if config is not None:
            self.config = config
        log = AuditLog.open(self.workspace, config=self.config, anchor=anchor)
        for i in range(n):
            log.append("operator.note", subject={"address": f"aws_s3_bucket.b{i % 3}"}, data={"i": i})
            if checkpoint_every and (i + 1) % checkpoint_every == 0:
                log.checkpoint("test")
        log.close()

    def segment(self, index: int = 0) -> Path:
        return sorted(self.log_dir.glob("seg-*.jsonl"))[index]

    def lines(self, index: int = 0) -> list[bytes]:
        return self.segment(index).read_bytes().split(b"\n")[:-1]

    def write_lines(self, lines: list[bytes], index: int = 0) -> None:
        self.segment(index).write_bytes(b"".join(line + b"\n" for line in lines))

    def mutate(self, fn: Callable[[list[bytes]], list[bytes]], index: int = 0) -> None:
        self.write_lines(fn(self.lines(index)), index)

    def verify(self, anchor: Anchor | None = None, **kwargs: object) -> VerifyResult:
        """Public keys only, as a verifier on another machine would."""
        return verify(self.log_dir, self.config.pinned_keys(), revoked=self.config.revoked_ids(), anchor=anchor,
                      **kwargs)  # type: ignore[arg-type]

    def verify_here(self, anchor: Anchor | None = None, **kwargs: object) -> VerifyResult:
        """As `driftdeck audit verify` on this machine: with the signing key's line authenticators."""
        return verify_workspace(self.workspace, config=self.config, anchor=anchor, **kwargs)  # type: ignore[arg-type]

    def forge_append(self, kind: str = "drift.detected", index: int = -1, **data: object) -> bytes:
        """What an attacker without the key does: append a correctly chained entry; returns its line."""
        lines = self.lines(index)
        last = json.loads(lines[-1])
        forged = dict(last)
        forged.pop("mac", None)
        forged.update(seq=last["seq"] + 1, kind=kind, data=dict(data), prev=entry_hash(lines[-1]).hex())
        line = canonical_bytes(forged)
        with self.segment(index).open("ab") as f:
            f.write(line + b"\n")
        return line


def rechain(lines: list[bytes], start: int) -> list[bytes]:
    """What an attacker who can write the files does: recompute every prev from `start` on."""
    out = list(lines)
    for i in range(max(start, 1), len(out)):
        value = json.loads(out[i])
        value["prev"] = entry_hash(out[i - 1]).hex()
        out[i] = canonical_bytes(value)
    return out


def edit(line: bytes, **changes: object) -> bytes:
    value = json.loads(line)
    for key, new in changes.items():
        if key.startswith("data_"):
            value["data"][key[5:]] = new
        else:
            value[key] = new
    return canonical_bytes(value)

