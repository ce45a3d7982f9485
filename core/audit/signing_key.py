"""The checkpoint signing key: a 0600 PEM file kept outside the log directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from driftdeck.core.audit.signed_note import Signer
from driftdeck.core.errors import InputError

DEFAULT_KEY_NAME = "driftdeck-audit"


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def load_signer(path: Path, *, name: str = DEFAULT_KEY_NAME, log_dir: Path | None = None) -> Signer:
    """Load the private key; refuses a key inside the log directory or readable by others."""
    if log_dir is not None and _inside(path, log_dir):
        raise InputError("the audit signing key must not live inside the audit log directory", file=str(path))
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the audit signing key: {exc.strerror}", file=str(path)) from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError("the audit signing key is readable by other users; chmod 600 it", file=str(path))
    try:
        key = load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise InputError("not a PEM private key", file=str(path)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("the audit signing key must be Ed25519", file=str(path))
    return Signer(name, key)


def create_signer(path: Path, *, name: str = DEFAULT_KEY_NAME, log_dir: Path | None = None) -> Signer:
    """Generate a new Ed25519 key and write it with mode 0600 (never overwriting a file)."""
    if log_dir is not None and _inside(path, log_dir):
        raise InputError("the audit signing key must not live inside the audit log directory", file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return Signer(name, key)
