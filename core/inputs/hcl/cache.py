"""Parse results cached by file content hash, so re-evaluating after one edit re-parses one file
(and, when a file's stat is unchanged, does not even read it)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import blake3

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.hcl.parse import parse_hcl, parse_json
from driftdeck.core.inputs.hcl.syntax import ParsedFile


@dataclass
class ParseStats:
    hits: int = 0
    misses: int = 0
    parse_seconds: float = 0.0
    reads: int = 0  # files actually read (an unchanged stat skips the read)


class ParseCache:
    """Content-addressed parse cache (LRU); safe to share between threads."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[tuple[str, str], ParsedFile] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()
        # path -> (stat signature, content key): an untouched file is not even read again.
        self._by_stat: dict[str, tuple[tuple[int, ...], tuple[str, str]]] = {}
        self.stats = ParseStats()

    def parse_file(self, path: Path, display: str) -> ParsedFile:
        """Parse `path` (HCL, or JSON for *.json); `display` is the name used in errors."""
        try:
            st = path.stat()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=display) from None
        signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        remembered = self._by_stat.get(str(path))
        # A file changed in the last two seconds may change again within the clock's granularity
        # without its stat changing ("racy git"): read it.
        settled = time.time_ns() - st.st_mtime_ns > 2_000_000_000
        if settled and remembered is not None and remembered[0] == signature:
            with self._lock:
                hit = self._entries.get(remembered[1])
                if hit is not None:
                    self._entries.move_to_end(remembered[1])
                    self.stats.hits += 1
                    return hit
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=display) from None
        with self._lock:
            self.stats.reads += 1
        json_syntax = path.name.endswith(".json")
        parsed = self.parse_bytes(data, display, json_syntax=json_syntax)
        with self._lock:
            self._by_stat[str(path)] = (signature, self._key(data, json_syntax))
        return parsed

    @staticmethod
    def _key(data: bytes, json_syntax: bool) -> tuple[str, str]:
        return (blake3.blake3(data).hexdigest(), "json" if json_syntax else "hcl")

    def parse_bytes(self, data: bytes, display: str, *, json_syntax: bool = False) -> ParsedFile:
        # Keyed by content alone: the same file reached as `main.tf` and `../../main.tf` parses once
        # (parsed trees carry no file name; callers attach the name they display).
        key = self._key(data, json_syntax)
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
            self._by_stat.clear()
            self.stats = ParseStats()


DEFAULT_CACHE = ParseCache()
