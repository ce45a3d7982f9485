"""Write-once anchors for checkpoints. The verifier compares the local log to what was anchored.

`Anchor` is the interface; `S3ObjectLockAnchor` stores each checkpoint note as its own object under
Object Lock in COMPLIANCE mode (GOVERNANCE can be bypassed, so it is refused). Every object
*version* is read back, because a second PUT to the same key adds a version rather than replacing
the locked one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from driftdeck.core.audit.layout import NOTE_RE, note_name
from driftdeck.core.audit.location import AnchorConfig


class AnchorError(Exception):
    """The anchor could not be reached or does not behave as a write-once store."""


@dataclass(frozen=True)
class AnchoredNote:
    size: int
    note: bytes
    where: str  # human-readable address, e.g. s3://bucket/key?versionId=...
    locked: bool  # COMPLIANCE retention is in force on this copy


class Anchor(Protocol):
    description: str

    def publish(self, size: int, note: bytes) -> None: ...

    def sizes(self) -> list[int]:
        """Tree sizes that have anchored notes, ascending. Raises AnchorError."""
        ...

    def fetch(self, size: int) -> list[AnchoredNote]:
        """Every anchored copy (version) of the note for `size`. Raises AnchorError."""
        ...


class S3ObjectLockAnchor:
    def __init__(self, bucket: str, prefix: str, *, retention_days: int = 365, client: Any = None,
                 region: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.retention_days = retention_days
        self.description = f"s3://{bucket}/{self.prefix}"
        self._client = client
        self._region = region

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Fail fast: an unreachable anchor must turn into "cannot verify", not a long hang.
            cfg = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})
            self._client = boto3.client("s3", region_name=self._region, config=cfg)
        return self._client

    def _call(self, name: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, name)(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise AnchorError(f"{self.description}: {name} failed: {exc}") from exc

    def publish(self, size: int, note: bytes) -> None:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self.retention_days)
        self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self.prefix + note_name(size),
            Body=note,
            ContentType="text/plain; charset=utf-8",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=until,
            ChecksumAlgorithm="SHA256",
        )

    def _versions(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        while True:
            page = self._call("list_object_versions", **kwargs)
            out += page.get("Versions", [])
            if not page.get("IsTruncated"):
                return out
            kwargs["KeyMarker"] = page.get("NextKeyMarker")
            kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")

    def sizes(self) -> list[int]:
        found = set()
        for version in self._versions():
            m = NOTE_RE.match(version["Key"][len(self.prefix) :])
            if m:
                found.add(int(m.group(1)))
        return sorted(found)

    def fetch(self, size: int) -> list[AnchoredNote]:
        key = self.prefix + note_name(size)
        notes = []
        for version in self._versions():
            if version["Key"] != key:
                continue
            vid = version.get("VersionId")
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
            if vid and vid != "null":
                kwargs["VersionId"] = vid
            resp = self._call("get_object", **kwargs)
            body = resp["Body"].read()
            until = resp.get("ObjectLockRetainUntilDate")
            locked = resp.get("ObjectLockMode") == "COMPLIANCE" and (
                until is None or until > dt.datetime.now(dt.UTC)
            )
            notes.append(AnchoredNote(size, body, f"s3://{self.bucket}/{key}?versionId={vid}", locked))
        return notes


class DirectoryAnchor:
    """Anchored notes copied into an evidence bundle, for offline re-verification."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"bundle:{directory.name}"

    def publish(self, size: int, note: bytes) -> None:
        raise AnchorError("a bundle anchor is read-only")

    def sizes(self) -> list[int]:
        found = set()
        for path in self.directory.glob("*.note*"):
            m = NOTE_RE.match(path.name.split("~")[0])
            if m:
                found.add(int(m.group(1)))
        return sorted(found)

    def fetch(self, size: int) -> list[AnchoredNote]:
        out = []
        for path in sorted(self.directory.glob(note_name(size) + "*")):
            out.append(AnchoredNote(size, path.read_bytes(), f"bundle:{path.name}", True))
        return out


def default_prefix(origin: str) -> str:
    """One prefix per log origin (the random id in its genesis entry and in every signed note), so a
    moved or copied workspace keeps finding its anchored checkpoints."""
    if not origin or not all(c in "0123456789abcdef" for c in origin):
        raise ValueError(f"log origin {origin!r} is not a hex id")
    return f"driftdeck/audit/{origin}/"


def anchor_from_config(cfg: AnchorConfig | None, origin: str | None) -> Anchor | None:
    """The configured anchor for the log with this origin (None: no anchor, or no origin yet and
    no fixed prefix configured)."""
    if cfg is None:
        return None
    if cfg.prefix:
        prefix = cfg.prefix
    elif origin:
        prefix = default_prefix(origin)
    else:
        return None
    return S3ObjectLockAnchor(cfg.bucket, prefix, retention_days=cfg.retention_days, region=cfg.region)
