"""Read CloudTrail log files in every shape they come in, and say clearly which file is broken."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftdeck.core.attribution.events import CloudTrailEvent, is_record, parse_record
from driftdeck.core.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"


def _decode(data: bytes, name: str) -> Any:
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"not a readable gzip file ({exc})", file=name) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from exc
    if not text.strip():
        raise InputError("empty file, expected CloudTrail JSON", file=name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=name, line=exc.lineno) from exc


def _records_of(document: Any, name: str) -> list[Any]:
    """The list of records, whatever wraps it: S3 delivery, a bare array, one record, or LookupEvents output."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "Records" in document:
            records = document["Records"]
            if not isinstance(records, list):
                raise InputError('"Records" is not a list', file=name)
            return records
        if isinstance(document.get("Events"), list):
            return [_lookup_event_record(e, name, i) for i, e in enumerate(document["Events"])]
        if is_record(document):
            return [document]
    raise InputError(
        'not a CloudTrail log: expected {"Records": [...]}, an array of records or one record', file=name
    )


def _lookup_event_record(entry: Any, name: str, index: int) -> Any:
    # LookupEvents wraps each record as a JSON string in CloudTrailEvent.
    if isinstance(entry, dict) and isinstance(entry.get("CloudTrailEvent"), str):
        try:
            return json.loads(entry["CloudTrailEvent"])
        except json.JSONDecodeError as exc:
            raise InputError(
                f"Events[{index}].CloudTrailEvent is not valid JSON: {exc.msg}", file=name
            ) from exc
    return entry


def parse_log(data: bytes, name: str) -> list[CloudTrailEvent]:
    """Parse one log file's bytes (.json or .json.gz). Raises InputError naming `name` when malformed."""
    records = _records_of(_decode(data, name), name)
    events = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(f"record {index} is a {type(record).__name__}, not a JSON object", file=name)
        events.append(parse_record(record, origin=name))
    return events


@dataclass
class LoadResult:
    """Events read from many files, plus one error per file that could not be read."""

    events: list[CloudTrailEvent] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: int = 0

    def extend(self, other: LoadResult) -> None:
        self.events.extend(other.events)
        self.errors.extend(other.errors)
        self.files += other.files


def is_log_name(name: str) -> bool:
    return name.endswith((".json", ".json.gz"))


def load_files(paths: Iterable[Path]) -> LoadResult:
    """Parse every file; a broken file is recorded as an error and the rest still load."""
    result = LoadResult()
    for path in paths:
        result.files += 1
        try:
            result.events.extend(parse_log(path.read_bytes(), str(path)))
        except InputError as exc:
            result.errors.append(exc)
        except OSError as exc:
            result.errors.append(InputError(f"cannot read: {exc.strerror or exc}", file=str(path)))
    return result


def dedupe(events: Iterable[CloudTrailEvent]) -> list[CloudTrailEvent]:
    """Keep the first copy of each eventID (organisation and account trails deliver the same event twice)."""
    seen: set[str] = set()
    out = []
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        out.append(event)
    return out
