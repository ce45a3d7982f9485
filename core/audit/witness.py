"""The local witness: the newest signed checkpoint (size and root) of every log this machine signs,
kept beside the signing key, outside the log directory.

Without an external anchor, someone who can write the log directory (but not the key's directory)
could otherwise delete the newest checkpoints and entries, or re-chain a rewritten tail, and leave
a log that is consistent with its remaining notes. The verifier compares the log with the witness:
a log shorter than the witnessed size is TRUNCATED (ROLLED_BACK when it is an older signed state),
one whose first `size` entries do not reproduce the witnessed root is FORKED. What it cannot catch:
an attacker holding both the signing key and the witness file can rewrite or truncate everything;
only a write-once anchor (S3 Object Lock COMPLIANCE) covers that.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from driftdeck.core.audit import layout

WITNESS_NAME = "audit-witness.json"


@dataclass(frozen=True)
class Witnessed:
    """The newest signed checkpoint of one log origin as this machine last signed it."""

    size: int
    root: bytes
    log_dir: str
    ts: str


class Witness:
    """The witness file at `path` (normally `<key dir>/audit-witness.json`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(layout.read_regular(self.path, limit=16 << 20))
        except FileNotFoundError:
            return {"v": 1, "origins": {}}
        if not isinstance(data, dict) or not isinstance(data.get("origins"), dict):
            raise ValueError("not a driftdeck audit witness")
        return data

    def get(self, origin: str) -> Witnessed | None:
        """The witnessed checkpoint of `origin`; ValueError/OSError when the file is unreadable."""
        item = self._load()["origins"].get(origin)
        if item is None:
            return None
        try:
            return Witnessed(int(item["size"]), bytes.fromhex(item["root"]), str(item["log_dir"]), str(item["ts"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"witness entry for {origin} is malformed") from exc

    def origin_for(self, log_dir: Path) -> str | None:
        """The origin whose newest checkpoint was signed in `log_dir` (None when unknown/unreadable)."""
        try:
            origins = self._load()["origins"]
        except (OSError, ValueError):
            return None
        for origin, item in origins.items():
            if isinstance(item, dict) and item.get("log_dir") == str(log_dir):
                return str(origin)
        return None

    def record(self, origin: str, size: int, root: bytes, log_dir: Path) -> None:
        """Remember a new signed checkpoint; never moves a log's record backwards."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(str(self.path) + ".lock"):
            try:
                data = self._load()
            except ValueError:
                data = {"v": 1, "origins": {}}  # unreadable: start over rather than stop signing
            current = data["origins"].get(origin)
            if isinstance(current, dict) and isinstance(current.get("size"), int) and current["size"] > size:
                return
            data["origins"][origin] = {"size": size, "root": root.hex(), "log_dir": str(log_dir),
                                       "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            layout.replace_file(self.path, json.dumps(data, sort_keys=True, indent=1).encode())
