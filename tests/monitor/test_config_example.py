"""docs/config.example.toml parses, and documents every key the parser knows (so the two stay in
step); actor patterns match an attributed actor's name or ARN."""

from __future__ import annotations

import tomllib

from repo_paths import REPO

from driftdeck.core import settings as config_module
from driftdeck.core.model import Attribution, Difference, ResourceResult, Status
from driftdeck.core.monitor.loop import TagIndex, rule_matches
from driftdeck.core.settings import AutoRemediationRule, parse_config

EXAMPLE = REPO / "docs" / "config.example.toml"


def test_example_config_parses_and_documents_every_key() -> None:
    text = EXAMPLE.read_text()
    config = parse_config(text, EXAMPLE)
    assert [s.kind for s in config.sinks] == ["webhook", "slack", "command"]
    assert [r.name for r in config.auto_remediation] == ["restore-public-access-block", "strip-out-of-band-tags-by-humans"]
    doc = tomllib.loads(text)
    assert set(doc["watch"]) == config_module._WATCH_KEYS
    assert set(doc["alerting"]) == config_module._ALERTING_KEYS
    assert set().union(*(set(a) for a in doc["alert"])) == config_module._SINK_KEYS
    assert set().union(*(set(r) for r in doc["auto_remediation"])) == config_module._RULE_KEYS


def test_actor_pattern_matches_name_or_arn() -> None:
    who = Attribution("alice", "IAMUser", "console", "TagQueue", "t", None, None, "exact", "e1",
                      actor_arn="arn:aws:iam::123456789012:user/alice")
    result = ResourceResult("aws_sqs_queue.q", "aws_sqs_queue", "q", Status.CHANGED, None,
                            [Difference("tags.Owner", "a", "b")], attribution=[who])
    by_arn = AutoRemediationRule(name="humans", type="aws_sqs_queue", attribute="tags.*", actor="arn:aws:iam::*:user/*")
    assert rule_matches(by_arn, result) == ["tags.Owner"]
    assert rule_matches(AutoRemediationRule(name="n", actor="alice"), result) == ["tags.Owner"]
    assert rule_matches(AutoRemediationRule(name="r", actor="arn:aws:iam::*:role/*"), result) == []


def test_tags_of_an_s3_sub_resource_are_its_buckets() -> None:
    bucket = ResourceResult("aws_s3_bucket.data", "aws_s3_bucket", "dd-data", Status.IN_SYNC, None,
                            expected={"bucket": "dd-data", "tags_all": {"data": "restricted"}})
    pab = ResourceResult("aws_s3_bucket_public_access_block.data", "aws_s3_bucket_public_access_block", "dd-data",
                         Status.CHANGED, None, [Difference("block_public_acls", True, False)],
                         expected={"bucket": "dd-data"})
    queue = ResourceResult(None, "aws_sqs_queue", "q", Status.CHANGED, None, [Difference("delay_seconds", 0, 5)],
                           live={"tags": {"data": "restricted"}})
    index = TagIndex([bucket, pab, queue])
    restricted = AutoRemediationRule(name="r", tags=(("data", "restricted"),))
    assert rule_matches(restricted, pab, index) == ["block_public_acls"]
    assert rule_matches(restricted, pab, TagIndex([pab])) == []  # without its bucket in the scan: no tags
    assert rule_matches(restricted, queue, index) == ["delay_seconds"]  # unmanaged: live tags
    assert rule_matches(AutoRemediationRule(name="o", tags=(("data", "open"),)), pab, index) == []
