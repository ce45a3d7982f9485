"""Parse results cached by file content hash, so re-evaluating after one edit re-parses one file."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import blake3

from driftdeck.core.errors import InputError
from driftdeck.core.hcl.parse import parse_hcl, parse_json
from driftdeck.core.hcl.syntax import ParsedFile


@dataclass
class ParseStats:
    hits: int = 0
    misses: int = 0
    parse_seconds: float = 0.0


class ParseCache:
    """Content-addressed parse cache (LRU); safe to share between threads."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[tuple[str, str], ParsedFile] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()
        self.stats = ParseStats()

    def parse_file(self, path: Path, display: str) -> ParsedFile:
        """Parse `path` (HCL, or JSON for *.json); `display` is the name used in errors."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=display) from None
        return self.parse_bytes(data, display, json_syntax=path.name.endswith(".json"))

    def parse_bytes(self, data: bytes, display: str, *, json_syntax: bool = False) -> ParsedFile:
        # Keyed by content alone: the same file reached as `main.tf` and `../../main.tf` parses once
        # (parsed trees carry no file name; callers attach the name they display).
        key = (blake3.blake3(data).hexdigest(), "json" if json_syntax else "hcl")
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.stats.hits += 1
                return hit
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", file=display) from None
        start = time.process_time()
        parsed = parse_json(text, display) if json_syntax else parse_hcl(text, display)
        elapsed = time.process_time() - start
        with self._lock:
            self.stats.misses += 1
            self.stats.parse_seconds += elapsed
            self._entries[key] = parsed
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.stats = ParseStats()


DEFAULT_CACHE = ParseCache()
