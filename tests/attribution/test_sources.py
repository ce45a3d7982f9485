"""Choosing a source from a spec, and a trail that cannot be read leaving the scan intact."""

from __future__ import annotations

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
