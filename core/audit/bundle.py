"""Evidence bundles: the log, its blobs and notes, anchored notes and the pinned public keys in
one tar.gz that `driftdeck audit verify --bundle` re-verifies offline."""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path

from driftdeck.core.audit import layout
from driftdeck.core.audit.anchor import Anchor, AnchorError, DirectoryAnchor
from driftdeck.core.audit.hashing import blob_address
from driftdeck.core.audit.signed_note import VerifierKey
from driftdeck.core.audit.verify import VerifyResult, _read_genesis_origin, verify
from driftdeck.core.errors import InputError


def export_bundle(log_dir: Path, out: Path, *, trusted: list[VerifierKey], anchor: Anchor | None) -> list[str]:
    """Write the bundle; returns warnings (e.g. anchor unreachable: anchored notes left out)."""
    warnings: list[str] = []
    manifest: dict[str, object] = {
        "format": "driftdeck.audit.bundle/v1",
        "origin": _read_genesis_origin(log_dir),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "anchor": anchor.description if anchor else None,
        "files": {},
    }
    files: dict[str, str] = {}
    with tarfile.open(out, "w:gz") as tar:

        def add_bytes(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
            files[name] = blob_address(data)

        for root, dirs, names in os.walk(log_dir):  # never descends into symlinked directories
            dirs.sort()
            for name in sorted(names):
                path = Path(root) / name
                rel = path.relative_to(log_dir)
                if rel.parts[0] == layout.INDEX_DIR or path.name == layout.LOCK_NAME:
                    continue
                problem = layout.path_problem(path)
                if problem is not None:
                    warnings.append(f"{rel.as_posix()} {problem}: not exported")
                    continue
                add_bytes(f"log/{rel.as_posix()}", layout.read_regular(path, limit=1 << 40))
        if anchor is not None:
            try:
                for size in anchor.sizes():
                    for n, copy in enumerate(anchor.fetch(size)):
                        add_bytes(f"anchored/{layout.note_name(size)}~{n}", copy.note)
            except AnchorError as exc:
                warnings.append(f"anchored notes not included: {exc}")
        add_bytes("keys/trusted", "".join(k.encode() + "\n" for k in trusted).encode())
        manifest["files"] = files
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return warnings


def verify_bundle(bundle: Path, trusted: list[VerifierKey], *, revoked: frozenset[bytes] = frozenset()
                  ) -> tuple[VerifyResult, list[str]]:
    """Verify a bundle offline against the caller's pinned keys (the bundle's own key list is only
    compared with them, never trusted). Returns the result and remarks about the bundle."""
    remarks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="driftdeck-bundle-") as tmp:
        root = Path(tmp)
        try:
            with tarfile.open(bundle, "r:gz") as tar:
                tar.extractall(root, filter="data")
        except (OSError, tarfile.TarError) as exc:
            raise InputError(f"not a readable evidence bundle: {exc}", file=str(bundle)) from exc
        manifest_path = root / "manifest.json"
        if not manifest_path.exists() or not (root / "log").is_dir():
            raise InputError("not an evidence bundle (manifest.json or log/ missing)", file=str(bundle))
        manifest = json.loads(manifest_path.read_text())
        for name, digest in manifest.get("files", {}).items():
            path = root / name
            if not path.exists():
                remarks.append(f"manifest lists {name}, which is not in the bundle")
            elif blob_address(path.read_bytes()) != digest:
                remarks.append(f"{name} differs from the manifest")
        claimed = [ln.strip() for ln in (root / "keys" / "trusted").read_text().splitlines() if ln.strip()] \
            if (root / "keys" / "trusted").exists() else []
        pinned = {k.encode() for k in trusted}
        for key in claimed:
            remarks.append(f"bundle key {key}: {'pinned' if key in pinned else 'NOT pinned here (ignored)'}")
        anchored = root / "anchored"
        anchor = DirectoryAnchor(anchored) if anchored.is_dir() else None
        result = verify(root / "log", trusted, revoked=revoked, anchor=anchor)
        result.log_dir = f"{bundle}:log"
    return result, remarks
