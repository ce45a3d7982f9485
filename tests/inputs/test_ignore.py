"""`.driftignore` rules: resource and field level, wildcards, negation, owners and expiry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from driftdeck.core.errors import InputError
from driftdeck.core.inputs.ignore import load_ignore_rules, parse_ignore_rules
from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status


def _report() -> ScanReport:
    return ScanReport(
        generated_at="2026-01-01T00:00:00Z",
        duration_ms=1,
        sources=[],
        resources=[
            ResourceResult("aws_s3_bucket.logs", "aws_s3_bucket", "acme.logs", Status.CHANGED, None,
                           [Difference("tags.Owner", "a", "b"), Difference("tags.Env", "p", "q")]),
            ResourceResult("aws_s3_bucket.data", "aws_s3_bucket", "acme-data", Status.CHANGED, None,
                           [Difference("tags.Owner", "a", "b")]),
            ResourceResult(None, "aws_sqs_queue", "https://q/scratch-1", Status.UNMANAGED, None),
            ResourceResult(None, "aws_sqs_queue", "https://q/keep", Status.UNMANAGED, None),
        ],
    )


def test_field_rules_drop_differences_and_settle_status() -> None:
    report = _report()
    parse_ignore_rules("aws_s3_bucket.*.tags.Owner\n", ".driftignore").apply(report, today=date(2026, 1, 1))
    logs, data = report.resources[0], report.resources[1]
    assert [d.path for d in logs.differences] == ["tags.Env"] and logs.status is Status.CHANGED
    assert data.differences == [] and data.status is Status.IN_SYNC and data.ignored_paths == ["tags.Owner"]


def test_resource_rules_with_negation_and_escaped_dots() -> None:
    report = _report()
    rules = parse_ignore_rules(
        "# scratch queues come and go\naws_sqs_queue.*\n!aws_sqs_queue.https://q/keep\naws_s3_bucket.acme\\.logs\n", "f"
    )
    rules.apply(report, today=date(2026, 1, 1))
    assert sorted(r.id for r in report.resources) == ["acme-data", "https://q/keep"]
    assert any("2 resource(s) ignored" in w for w in report.warnings)


def test_address_patterns_match_managed_resources() -> None:
    report = _report()
    parse_ignore_rules("aws_s3_bucket.logs.tags.Env owner=platform\n", "f").apply(report, today=date(2026, 1, 1))
    assert [d.path for d in report.resources[0].differences] == ["tags.Owner"]


def test_expired_rules_stop_applying_and_are_reported() -> None:
    report = _report()
    parse_ignore_rules("aws_s3_bucket.* owner=alice expires=2025-12-31\n", "f").apply(report, today=date(2026, 1, 1))
    assert len(report.resources) == 4
    assert report.expired_ignore_rules and "alice" in report.expired_ignore_rules[0]
    report = _report()
    parse_ignore_rules("aws_s3_bucket.* expires=2026-01-01\n", "f").apply(report, today=date(2026, 1, 1))
    assert len(report.resources) == 2  # still valid on its expiry day


def test_bad_rules_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / ".driftignore"
    path.write_text("aws_s3_bucket.*\naws_sqs_queue.* expires=tomorrow\n")
    with pytest.raises(InputError) as info:
        load_ignore_rules(path)
    assert info.value.file == str(path) and info.value.line == 2
