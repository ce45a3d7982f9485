"""Every real CloudTrail file in the corpus loads; broken files are named and do not stop the rest."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from repo_paths import CORPORA

from driftdeck.core.attribution import LocalDirectorySource, load_files, parse_log
from driftdeck.core.errors import InputError

CORPUS = CORPORA / "cloudtrail"
CORPUS_FILES = sorted(CORPUS.rglob("*.json"))
ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))

pytestmark = pytest.mark.skipif(not CORPUS_FILES, reason="CloudTrail corpus not on this machine")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_loads(path: Path) -> None:
    raw = json.loads(path.read_text())
    expected = len(raw) if isinstance(raw, list) else len(raw["Records"])
    events = parse_log(path.read_bytes(), str(path))
    assert len(events) == expected > 0
    for event in events:
        assert event.event_id and event.event_name and event.origin == str(path)


def test_whole_corpus_through_the_directory_source() -> None:
    source = LocalDirectorySource(CORPUS)
    loaded = source.load()
    assert source.errors == []
    assert loaded.files == len(CORPUS_FILES)
    versions = {e.raw.get("eventVersion") for e in loaded.events}
    assert {"1.0", "1.02", "1.05", "1.08", "1.09"} <= versions  # old and new record versions alike
    # The stratus detonations exist as bare arrays and as {"Records": [...]}; same events, counted once.
    stratus = CORPUS / "DataDog__stratus-red-team"
    bare = load_files(sorted((stratus / "original").glob("*.json"))).events
    wrapped = load_files(sorted((stratus / "records").glob("*.json"))).events
    assert sorted(e.event_id for e in bare) == sorted(e.event_id for e in wrapped)
    assert len({e.event_id for e in loaded.events}) == len(loaded.events)
    assert len(source.events(*ALL_TIME)) == len(loaded.events)


def test_records_without_event_id_get_a_stable_synthetic_id() -> None:
    missing = [
        (path, i)
        for path in CORPUS_FILES
        for i, rec in enumerate(
            json.loads(path.read_text()).get("Records", []) if "records" in path.parts else []
        )
        if "eventID" not in rec
    ]
    assert missing, "corpus has records without eventID"
    path, index = missing[0]
    first = parse_log(path.read_bytes(), str(path))[index]
    again = parse_log(path.read_bytes(), str(path))[index]
    assert first.event_id.startswith("sha256:") and first.event_id == again.event_id


def test_missing_fields_become_empty_values() -> None:
    events = parse_log(b'{"eventName": "PutBucketTagging", "eventSource": "s3.amazonaws.com"}', "one.json")
    (event,) = events
    assert event.event_time is None and event.user_identity == {} and event.request_parameters == {}
    assert event.source_ip is None and event.mutating


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_malformed_files_are_named_and_the_rest_still_load(tmp_path: Path) -> None:
    good = {
        "Records": [
            {
                "eventID": "e1",
                "eventName": "TagRole",
                "eventSource": "iam.amazonaws.com",
                "eventTime": "2026-01-01T00:00:00Z",
                "userIdentity": {"type": "Root"},
            }
        ]
    }
    _write(tmp_path, "a/good.json.gz", gzip.compress(json.dumps(good).encode()))
    _write(tmp_path, "a/single.json", json.dumps(good["Records"][0] | {"eventID": "e2"}).encode())
    _write(tmp_path, "b/invalid.json", b'{"Records": [\n  {"eventID": "x",}\n]}')
    _write(tmp_path, "b/truncated.json.gz", gzip.compress(json.dumps(good).encode())[:20])
    _write(tmp_path, "b/not-cloudtrail.json", b'{"hello": "world"}')
    _write(tmp_path, "b/empty.json", b"")
    _write(tmp_path, "b/records-not-list.json", b'{"Records": {"eventID": "x"}}')
    _write(tmp_path, "b/bad-record.json", b'{"Records": [42]}')
    _write(tmp_path, "b/ignored.txt", b"not a log")

    source = LocalDirectorySource(tmp_path)
    events = source.events(datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert sorted(e.event_id for e in events) == ["e1", "e2"]
    by_file = {Path(str(e.file)).name: e for e in source.errors}
    assert set(by_file) == {
        "invalid.json",
        "truncated.json.gz",
        "not-cloudtrail.json",
        "empty.json",
        "records-not-list.json",
        "bad-record.json",
    }
    assert by_file["invalid.json"].line == 2 and "invalid JSON" in str(by_file["invalid.json"])
    assert str(tmp_path / "b" / "invalid.json") in str(by_file["invalid.json"])
    assert "gzip" in str(by_file["truncated.json.gz"])
    assert "record 0" in str(by_file["bad-record.json"])


def test_a_file_path_that_is_not_a_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        LocalDirectorySource(tmp_path / "nowhere")
