"""The text report: sides labelled, sensitive values never printed."""

from __future__ import annotations

from sample_reports import mixed_sources_estate

from driftdeck.core.model import Difference, ResourceResult, ScanReport, Status
from driftdeck.core.outputs.report import render_text


def test_sensitive_values_are_never_printed_and_sides_are_labelled() -> None:
    report = ScanReport(
        generated_at="2026-01-01T00:00:00Z", duration_ms=5, sources=[],
        resources=[
            ResourceResult("aws_s3_bucket.data", "aws_s3_bucket", "data", Status.CHANGED, None, [
                Difference("tags.ApiToken", "STATE-SECRET", "LIVE-SECRET", sensitive=True),
                Difference("tags.Env", "prod", "staging"),
                Difference("tags.Owner", "CODE-SECRET", "STATE-SECRET", side="code", sensitive=True),
                Difference("visibility_timeout_seconds", 60, 30, side="code"),
            ]),
        ],
    )
    text = render_text(report)
    assert "SECRET" not in text
    assert "tags.ApiToken: state '(sensitive)', live '(sensitive)'" in text
    assert "tags.Env: state 'prod', live 'staging' (updated)" in text
    assert "visibility_timeout_seconds: code 60, state 30 (code edit, not applied)" in text
    assert "1 resource: " in text


def test_cloudformation_differences_name_the_template_side() -> None:
    text = render_text(mixed_sources_estate())
    assert "/Properties/Tags/0/Value: template 'prod', live 'dev' (updated)" in text
    assert "tags.Env: state 'prod', live 'staging' (updated)" in text  # Terraform keeps `state`
