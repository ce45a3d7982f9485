"""How attribution scales: drifted resources x CloudTrail events, against parsing the same events.

Run: .venv/bin/python bench/attribution_scale.py
Prints, for each size, the time to parse the events (the baseline every source pays) and the time
attribute_report adds on top, with the ratio. Figures are medians of several runs in this process.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from driftdeck.core.attribution import StaticSource, attribute_report, parse_log
from driftdeck.core.model import Difference, ResourceResult, ScanReport, SourceInfo, SourceRef, Status

T0 = datetime(2026, 6, 1, tzinfo=UTC)
RUNS = 5


def _record(i: int, bucket: str, name: str = "PutBucketTagging") -> dict:
    return {
        "eventVersion": "1.09",
        "eventID": str(uuid.uuid4()),
        "eventTime": (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "userIdentity": {
            "type": "IAMUser",
            "userName": f"user{i % 50}",
            "arn": f"arn:aws:iam::1:user/user{i % 50}",
        },
        "userAgent": "aws-cli/2.15.0",
        "sourceIPAddress": "203.0.113.1",
        "requestParameters": {"bucketName": bucket},
        "responseElements": None,
        "readOnly": name.startswith("Get"),
    }


def _blob(events: int, resources: int) -> bytes:
    # One event in ten touches a drifted bucket; the rest are reads and changes elsewhere.
    records = []
    for i in range(events):
        if i % 10 == 0:
            records.append(_record(i, f"drifted-{(i // 10) % resources}"))
        else:
            records.append(_record(i, f"other-{i}", "GetBucketAcl" if i % 3 else "PutBucketTagging"))
    return gzip.compress(json.dumps({"Records": records}).encode())


def _report(resources: int) -> ScanReport:
    results = [
        ResourceResult(
            f"aws_s3_bucket.b{i}",
            "aws_s3_bucket",
            f"drifted-{i}",
            Status.CHANGED,
            SourceRef("terraform", state="s"),
            [Difference("tags.Owner", "a", "b")],
        )
        for i in range(resources)
    ]
    info = SourceInfo(
        "terraform", "x", "s", written_at=(T0 - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return ScanReport((T0 + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"), 0, [info], results)


def main() -> None:
    print(
        f"{'resources':>9} {'events':>7} {'parse ms':>9} {'attribute ms':>13} {'ratio':>6} {'per resource ms':>16}"
    )
    for resources, events in ((100, 10_000), (1_000, 50_000), (2_000, 100_000)):
        blob = _blob(events, resources)
        parse_times, attribute_times = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            parsed = parse_log(blob, "bench.json.gz")
            parse_times.append(time.perf_counter() - started)
            report = _report(resources)
            started = time.perf_counter()
            attribute_report(report, StaticSource(parsed))
            attribute_times.append(time.perf_counter() - started)
            assert all(r.attribution for r in report.resources)
        parse_ms = statistics.median(parse_times) * 1000
        attribute_ms = statistics.median(attribute_times) * 1000
        print(
            f"{resources:>9} {events:>7} {parse_ms:>9.0f} {attribute_ms:>13.0f} {attribute_ms / parse_ms:>6.2f} "
            f"{attribute_ms / resources:>16.3f}"
        )


if __name__ == "__main__":
    main()
