"""Line authenticators: which stored lines a holder of the signing key wrote.

A hash chain lets anyone who can write the folder append a correctly linked line, so a writer
must never sign (checkpoint) a line it cannot authenticate. Every line a key holder writes
carries `"mac":"<64 hex>"`: keyed BLAKE3 over the line's canonical text *without* that field,
under a key derived from the Ed25519 signing key with BLAKE3's derive-key mode (its own context
string, so the MAC key is never the signing key and the two uses cannot be confused). The field
sorts between `kind` and `prev`, so it is always the 73 bytes just before `"prev":"` and can be
cut out without parsing. The writer-state cache is authenticated the same way under another
derived key. Only holders of the private key can check these MACs; a verifier without it relies
on the signed checkpoints, and on the `audit.chain_failed` entries a writer records when it finds
lines it cannot authenticate.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from blake3 import blake3

from driftdeck.core.audit.signed_note import Signer

LINE_CONTEXT = "driftdeck.audit 2026-12 line authenticator v1"
STATE_CONTEXT = "driftdeck.audit 2026-12 writer-state authenticator v1"
_OPEN = b'"mac":"'
_PREV = b'"prev":"'
FIELD_BYTES = len(_OPEN) + 64 + 2  # "mac":"<hex>",


def split_mac(line: bytes) -> tuple[bytes, bytes] | None:
    """(the line without its mac field, the mac hex) or None when the line carries no mac field."""
    i = line.rfind(_PREV)
    j = i - FIELD_BYTES
    if i < 0 or j < 1 or not line.startswith(_OPEN, j) or line[i - 2 : i] != b'",':
        return None
    return line[:j] + line[i:], line[j + len(_OPEN) : i - 2]


class Authenticator:
    """Seals lines and checks seals with keys derived from the log's signing key(s)."""

    def __init__(self, signers: Sequence[Signer]) -> None:
        if not signers:
            raise ValueError("an authenticator needs at least one signing key")
        # Keyed hashers set up once and copied per line (cheaper than keying each time).
        self._line = [blake3(key=s.derive_key(LINE_CONTEXT)) for s in signers]
        self._state_keys = [s.derive_key(STATE_CONTEXT) for s in signers]
        self._seal = self._line[-1]

    def seal(self, text: bytes) -> tuple[bytes, str]:
        """The stored line for canonical entry text without a mac: the mac field inserted before prev."""
        mac = self._seal.copy().update(text).digest().hex()
        i = text.rfind(_PREV)
        return b"".join((text[:i], _OPEN, mac.encode(), b'",', text[i:])), mac

    def check(self, line: bytes) -> bool:
        """True when a key holder wrote this exact line."""
        parts = split_mac(line)
        if parts is None:
            return False
        body, mac = parts
        try:
            expected = bytes.fromhex(mac.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return False
        return any(hmac.compare_digest(keyed.copy().update(body).digest(), expected) for keyed in self._line)

    def state_mac(self, text: bytes) -> str:
        return blake3(text, key=self._state_keys[-1]).hexdigest()

    def check_state(self, text: bytes, mac: str) -> bool:
        return any(hmac.compare_digest(blake3(text, key=key).hexdigest(), mac) for key in self._state_keys)
