"""Checkpoints in the C2SP signed-note / tlog-checkpoint format, signed with Ed25519.

A checkpoint note is::

    <origin>\\n<tree size>\\n<base64 root>\\n\\n— <key name> <base64(key id || signature)>\\n

The key id is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key), and verifier keys
are written `<name>+<key id hex>+<base64(0x01 || public key)>`, as in the C2SP spec, so the notes
can be checked with other signed-note tools.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from blake3 import blake3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ED25519_TYPE = b"\x01"
SIG_PREFIX = "\u2014 "  # em dash + space starts every signature line


class NoteError(ValueError):
    """A checkpoint that cannot be trusted. `code` is BAD_SIGNATURE or UNKNOWN_KEY."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise ValueError(f"key name {name!r} must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class VerifierKey:
    """A trusted public key, as pinned in configuration."""

    name: str
    key_id: bytes
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse `<name>+<hex id>+<base64(0x01||key)>`; raises ValueError naming the problem."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ValueError(f"verifier key {text!r} is not <name>+<id>+<key>")
        name, hex_id, b64 = parts
        _check_name(name)
        try:
            raw = base64.b64decode(b64, validate=True)
            key_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"verifier key {text!r}: {exc}") from exc
        if len(raw) != 33 or raw[:1] != ED25519_TYPE:
            raise ValueError(f"verifier key {text!r} is not an Ed25519 key")
        if _key_id(name, raw[1:]) != key_id:
            raise ValueError(f"verifier key {text!r}: key id does not match the key")
        return cls(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]))

    def encode(self) -> str:
        raw = self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519_TYPE + raw).decode()}"


class Signer:
    """An Ed25519 private key with its signed-note name."""

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        _check_name(name)
        self.name = name
        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = VerifierKey(name, _key_id(name, raw), private.public_key())

    def derive_key(self, context: str) -> bytes:
        """A 32-byte key for `context` (BLAKE3 derive-key mode over the private key): never the key itself."""
        raw = self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return blake3(raw, derive_key_context=context).digest()

    def signature_line(self, text: str) -> str:
        sig = self._private.sign(text.encode("utf-8"))
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.verifier.key_id + sig).decode()}\n"


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    if not origin or "\n" in origin:
        raise ValueError("origin must be one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_checkpoint(origin: str, size: int, root: bytes, signers: list[Signer]) -> bytes:
    """The complete note: body, blank line, one signature line per signer."""
    text = checkpoint_text(origin, size, root)
    return (text + "\n" + "".join(s.signature_line(text) for s in signers)).encode("utf-8")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    signed_by: tuple[str, ...]  # names of the trusted keys whose signatures verified
    note: bytes


def parse_checkpoint(
    note: bytes, trusted: list[VerifierKey], revoked: frozenset[bytes] = frozenset()
) -> Checkpoint:
    """Parse and verify a checkpoint note against the pinned keys only.

    At least one signature by a trusted, non-revoked key must verify and no signature claiming to
    be by a trusted key may fail; signatures by other keys are ignored, as the spec asks.
    """
    try:
        whole = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("BAD_SIGNATURE", "note is not UTF-8") from exc
    if not whole.endswith("\n"):
        raise NoteError("BAD_SIGNATURE", "note does not end with a newline")
    split = whole.rfind("\n\n")
    if split < 0:
        raise NoteError("BAD_SIGNATURE", "note has no blank line before its signatures")
    text, sig_block = whole[: split + 1], whole[split + 2 :]
    if any(ord(c) < 0x20 and c != "\n" for c in whole):
        raise NoteError("BAD_SIGNATURE", "note contains control characters")
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise NoteError("BAD_SIGNATURE", "checkpoint body needs origin, size and root lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("BAD_SIGNATURE", "empty origin line")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("BAD_SIGNATURE", f"tree size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise NoteError("BAD_SIGNATURE", f"root hash is not base64: {exc}") from exc
    if len(root) != 32:
        raise NoteError("BAD_SIGNATURE", f"root hash has {len(root)} bytes, expected 32")
    by_id = {(k.name, k.key_id): k for k in trusted}
    good: list[str] = []
    for sig_line in sig_block.split("\n")[:-1]:
        if not sig_line.startswith(SIG_PREFIX):
            raise NoteError("BAD_SIGNATURE", f"malformed signature line {sig_line!r}")
        name, _, b64 = sig_line[len(SIG_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise NoteError("BAD_SIGNATURE", f"signature by {name} is not base64") from exc
        if len(blob) < 5:
            raise NoteError("BAD_SIGNATURE", f"signature by {name} is too short")
        key = by_id.get((name, blob[:4]))
        if key is None or key.key_id in revoked:
            continue
        try:
            key.public.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise NoteError("BAD_SIGNATURE", f"signature by trusted key {name} does not verify") from exc
        good.append(name)
    if not good:
        raise NoteError("UNKNOWN_KEY", "no signature by a pinned (trusted, unrevoked) key")
    return Checkpoint(origin, int(size_text), root, tuple(good), note)
