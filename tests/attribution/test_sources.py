"""Choosing a source from a spec, and a trail that cannot be read leaving the scan intact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from driftdeck.core.attribution import (
    LocalDirectorySource,
    LookupEventsSource,
    S3LogSource,
    attribute_report,
    event_source_from_spec,
)
from driftdeck.core.errors import InputError
from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status


def test_spec_picks_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = event_source_from_spec("s3://trail-bucket/org/prefix")
    assert isinstance(s3, S3LogSource) and (s3.bucket, s3.prefix) == ("trail-bucket", "org/prefix/")
    lookup = event_source_from_spec("lookup:us-east-1,eu-west-1")
    assert isinstance(lookup, LookupEventsSource) and lookup.regions == ["us-east-1", "eu-west-1"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    assert event_source_from_spec("lookup").regions == ["ap-south-1"]  # type: ignore[attr-defined]
    assert isinstance(event_source_from_spec(str(tmp_path)), LocalDirectorySource)
    with pytest.raises(InputError, match="not a directory"):
        event_source_from_spec(str(tmp_path / "missing"))


def test_missing_trail_bucket_is_a_warning_not_a_crash(aws_env: Any) -> None:
    bucket = ResourceResult(
        "aws_s3_bucket.x", "aws_s3_bucket", "logs", Status.CHANGED, None, [Difference("tags.Owner", "a", "b")]
    )
    report = ScanReport("2026-06-01T12:00:00Z", 0, [], [bucket])
    source = S3LogSource("no-such-trail-bucket", client=boto3.client("s3"))
    assert attribute_report(report, source) == []
    assert bucket.attribution == []
    (warning,) = [w for w in report.warnings if "unavailable" in w]
    assert "s3://no-such-trail-bucket/AWSLogs/" in warning and "NoSuchBucket" in warning


def test_directory_source_picks_up_new_files_and_rereads_only_changed_ones(tmp_path: Path) -> None:
    def write(name: str, event_id: str) -> None:
        body = {
            "Records": [
                {
                    "eventID": event_id,
                    "eventName": "TagRole",
                    "eventSource": "iam.amazonaws.com",
                    "eventTime": "2026-01-01T00:00:00Z",
                }
            ]
        }
        (tmp_path / name).write_text(json.dumps(body))

    window = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    write("a.json", "e1")
    source = LocalDirectorySource(tmp_path)
    assert [e.event_id for e in source.events(*window)] == ["e1"]
    write("b.json", "e2")
    assert sorted(e.event_id for e in source.events(*window)) == ["e1", "e2"]
    assert source.parsed_files == 2  # a.json was not read again
    (tmp_path / "a.json").unlink()
    assert [e.event_id for e in source.events(*window)] == ["e2"]
