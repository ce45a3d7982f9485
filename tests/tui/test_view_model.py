"""Grouping and filters behind the tree (no widgets); transitions: tests/tui/test_tui_transitions.py."""

from __future__ import annotations

from pathlib import Path

from sample_reports import drifted_estate

from driftdeck.core.model import Status
from driftdeck.tui.view_model import (
    ROOT_MODULE,
    UNMANAGED_GROUP,
    group_counts,
    group_path,
    index_report,
    parse_filter,
)


def _keys(text: str) -> set[str]:
    flt = parse_filter(text)
    return {r.key for r in drifted_estate().resources if flt.matches(r)}


def test_filter_by_type_status_tag_address_and_negation() -> None:
    assert _keys("type:aws_sqs") == {"module.queues.aws_sqs_queue.orders", "module.queues.aws_sqs_queue.orders_dlq"}
    assert _keys("status:missing") == {"module.queues.aws_sqs_queue.orders_dlq"}
    assert _keys("status:drift") == {
        "aws_s3_bucket.assets", "module.network.aws_security_group.web",
        "module.queues.aws_sqs_queue.orders_dlq", "aws_s3_bucket:acme-shadow-exports",
    }
    assert _keys("tag:Owner=web") == {"aws_s3_bucket.assets"}
    assert _keys("tag:Team") == {"aws_iam_user.alice"}
    assert _keys("subnet") == {'module.network.aws_subnet.private["a"]', 'module.network.aws_subnet.private["b"]'}
    everything = _keys("")
    assert _keys("!status:in_sync") == _keys("status:drift")
    assert _keys("!type:s3") | _keys("type:s3") == everything
    assert _keys("type:s3 !status:in_sync") == {"aws_s3_bucket.assets", "aws_s3_bucket:acme-shadow-exports"}


def test_unknown_field_prefix_is_plain_text() -> None:
    flt = parse_filter("region:us")
    assert [t.field for t in flt.terms] == ["address"]


def test_grouping_source_module_type_and_unmanaged() -> None:
    by_key = index_report(drifted_estate())
    ws = Path(".")
    assert group_path(by_key["aws_s3_bucket.logs"], ws) == ("terraform.tfstate", ROOT_MODULE, "aws_s3_bucket")
    assert group_path(by_key["module.network.aws_vpc.main"], ws)[1] == "module.network"
    assert group_path(by_key["aws_s3_bucket:acme-shadow-exports"], ws) == (UNMANAGED_GROUP, "aws_s3_bucket")
    counts = group_counts(by_key.values(), ws)
    assert counts[("terraform.tfstate",)].total == 12
    assert counts[("terraform.tfstate",)].drifted == 3
    assert counts[("terraform.tfstate", "module.queues")].worst is Status.MISSING
    assert counts[(UNMANAGED_GROUP,)].drifted == 1
