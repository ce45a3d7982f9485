"""attribute_report on in-memory events: confidence levels, windows, regions, and never a made-up culprit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ct_records import assumed, iam_user, iso, record, sts_session_record

from driftdeck.core.attribution import (
    EXACT,
    RESOURCE,
    TIME,
    StaticSource,
    actors,
    attribute_report,
    attributed_event,
    parse_log,
    resources_by_actor,
    top_attribute,
)
from driftdeck.core.model import Difference, ResourceResult, ScanReport, SourceInfo, SourceRef, Status

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
STATE = "infra/terraform.tfstate"
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"


def _events(*records: dict[str, Any]) -> StaticSource:
    return StaticSource(parse_log(json.dumps({"Records": list(records)}).encode(), "memory"))


def _result(
    type_: str, id_: str, status: Status = Status.CHANGED, *paths: str, region: str = "us-east-1", **kw: Any
) -> ResourceResult:
    diffs = [Difference(p, "old", "new") for p in paths]
    return ResourceResult(
        f"{type_}.x", type_, id_, status, SourceRef("terraform", state=STATE), diffs, region=region, **kw
    )


def _report(*results: ResourceResult, written_at: datetime | None = T0) -> ScanReport:
    info = SourceInfo("terraform", "infra", STATE, written_at=iso(written_at) if written_at else None)
    return ScanReport(iso(T0 + timedelta(hours=2)), 0, [info], list(results))


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_top_attribute() -> None:
    assert top_attribute("tags.Env") == "tags"
    assert top_attribute("ingress[1].cidr_blocks[0]") == "ingress"
    assert top_attribute("versioning_configuration[0].status") == "versioning_configuration"
    assert top_attribute("policy") == "policy"


def test_per_attribute_confidence_exact_resource_and_time() -> None:
    queue = _result(
        "aws_sqs_queue", QUEUE, Status.CHANGED, "visibility_timeout_seconds", "tags.Team", "policy"
    )
    source = _events(
        record(
            "SetQueueAttributes",
            "sqs",
            iam_user("ann"),
            when=_at(5),
            params={"queueUrl": QUEUE, "attributes": {"VisibilityTimeout": "60"}},
        ),
        record(
            "SetQueueAttributes",
            "sqs",
            iam_user("ben"),
            when=_at(9),
            params={"queueUrl": QUEUE, "attributes": {"VisibilityTimeout": "90"}},
        ),
        # Redacted request: could be this queue, the record cannot say.
        record("TagQueue", "sqs", iam_user("cid"), when=_at(7), params=None),
        # Names another queue: never a candidate.
        record(
            "AddPermission",
            "sqs",
            iam_user("dee"),
            when=_at(8),
            params={"queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/other"},
        ),
    )
    attribute_report(_report(queue), source)
    got = [(a.attribute, a.actor, a.confidence) for a in queue.attribution]
    assert got == [
        ("visibility_timeout_seconds", "ben", EXACT),  # newest first: ben set the live value
        ("visibility_timeout_seconds", "ann", EXACT),
        ("tags", "cid", TIME),
        ("policy", "cid", TIME),
    ]


def test_resource_level_when_the_call_does_not_say_which_attribute() -> None:
    instance = _result("aws_instance", "i-0123", Status.CHANGED, "instance_type")
    source = _events(
        record(
            "ModifyInstanceAttribute",
            "ec2",
            iam_user("eve"),
            when=_at(3),
            params={"instanceId": "i-0123", "kernel": {"value": "aki-1"}},
        ),
        record(
            "ModifyInstanceAttribute",
            "ec2",
            iam_user("fay"),
            when=_at(4),
            params={"instanceId": "i-9999", "instanceType": {"value": "t3.large"}},
        ),
    )
    attribute_report(_report(instance), source)
    assert [(a.actor, a.confidence, a.attribute) for a in instance.attribution] == [
        ("eve", RESOURCE, "instance_type")
    ]


def test_nothing_matches_means_no_attribution() -> None:
    vpc = _result("aws_vpc", "vpc-1", Status.CHANGED, "enable_dns_hostnames")
    source = _events(
        record(
            "ModifyVpcAttribute",
            "ec2",
            iam_user("gus"),
            when=_at(3),
            params={"vpcId": "vpc-2", "enableDnsHostnames": {"value": True}},
        ),
        record("PutBucketTagging", "s3", iam_user("gus"), when=_at(4), params={"bucketName": "b"}),
    )
    attribute_report(_report(vpc), source)
    assert vpc.attribution == []


def test_window_starts_at_the_state_write_and_ends_at_the_scan() -> None:
    bucket = _result("aws_s3_bucket", "logs", Status.CHANGED, "tags.Owner")
    source = _events(
        record("PutBucketTagging", "s3", iam_user("before"), when=_at(-1), params={"bucketName": "logs"}),
        record("PutBucketTagging", "s3", iam_user("inside"), when=_at(30), params={"bucketName": "logs"}),
        record("PutBucketTagging", "s3", iam_user("after"), when=_at(180), params={"bucketName": "logs"}),
    )
    report = _report(bucket)
    attribute_report(report, source)
    assert [a.actor for a in bucket.attribution] == ["inside"]
    attribute_report(report, source, window_start=_at(60))
    assert bucket.attribution == []
    attribute_report(report, source, window_start=_at(-10), window_end=_at(200))
    assert [a.actor for a in bucket.attribution] == ["after", "inside", "before"]


def test_unknown_state_write_time_looks_back_90_days_and_warns() -> None:
    bucket = _result("aws_s3_bucket", "logs", Status.CHANGED, "tags.Owner")
    source = _events(
        record(
            "PutBucketTagging",
            "s3",
            iam_user("old"),
            when=T0 - timedelta(days=30),
            params={"bucketName": "logs"},
        ),
        record(
            "PutBucketTagging",
            "s3",
            iam_user("ancient"),
            when=T0 - timedelta(days=120),
            params={"bucketName": "logs"},
        ),
    )
    report = _report(bucket, written_at=None)
    attribute_report(report, source)
    assert [a.actor for a in bucket.attribution] == ["old"]
    assert any("90 days" in w for w in report.warnings)


def test_events_in_another_region_do_not_match_regional_resources() -> None:
    bucket = _result("aws_s3_bucket", "logs", Status.CHANGED, "tags.Owner")
    role = _result("aws_iam_role", "app", Status.CHANGED, "tags.Owner", region="eu-west-1")
    source = _events(
        record(
            "PutBucketTagging",
            "s3",
            iam_user("far"),
            when=_at(3),
            params={"bucketName": "logs"},
            region="eu-west-1",
        ),
        record(
            "TagRole", "iam", iam_user("iam-admin"), when=_at(3), params={"roleName": "app"}
        ),  # global service
    )
    attribute_report(_report(bucket, role), source)
    assert bucket.attribution == []
    assert [a.actor for a in role.attribution] == ["iam-admin"]


def test_missing_is_explained_by_a_delete_only_and_unmanaged_by_a_create_only() -> None:
    queue = _result("aws_sqs_queue", QUEUE, Status.MISSING)
    attachment = ResourceResult(
        None,
        "aws_iam_role_policy_attachment",
        "app-20260601",
        Status.UNMANAGED,
        None,
        live={"role": "app", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    source = _events(
        record(
            "SetQueueAttributes",
            "sqs",
            iam_user("tuner"),
            when=_at(1),
            params={"queueUrl": QUEUE, "attributes": {"DelaySeconds": "1"}},
        ),
        record("DeleteQueue", "sqs", iam_user("remover"), when=_at(2), params={"queueUrl": QUEUE}),
        record(
            "AttachRolePolicy",
            "iam",
            iam_user("escalator"),
            when=_at(3),
            params={"roleName": "app", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        record(
            "AttachRolePolicy",
            "iam",
            iam_user("other"),
            when=_at(4),
            params={"roleName": "app", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
    )
    attribute_report(_report(queue, attachment), source)
    assert [(a.actor, a.confidence, a.event_name) for a in queue.attribution] == [
        ("remover", EXACT, "DeleteQueue")
    ]
    assert [a.actor for a in attachment.attribution] == ["escalator"]


def test_code_side_differences_are_not_attributed_to_cloud_events() -> None:
    bucket = ResourceResult(
        "aws_s3_bucket.x",
        "aws_s3_bucket",
        "logs",
        Status.CHANGED,
        None,
        [Difference("tags.Owner", "a", "b", side="code"), Difference("policy", {}, {})],
    )
    source = _events(
        record("PutBucketTagging", "s3", iam_user("tagger"), when=_at(3), params={"bucketName": "logs"})
    )
    attribute_report(_report(bucket), source)
    assert all(a.attribute == "policy" for a in bucket.attribution)
    assert [
        a.confidence for a in bucket.attribution
    ] == []  # PutBucketTagging does not explain a policy change


def test_saml_session_is_attributed_to_the_federated_human() -> None:
    saml = {
        "type": "SAMLUser",
        "principalId": "okta:kim@example.com",
        "userName": "kim@example.com",
        "identityProvider": "arn:aws:iam::123456789012:saml-provider/okta",
    }
    response = {
        "Credentials": {"AccessKeyId": "ASIASAML1", "SessionToken": "secret-token", "Expiration": _at(60)},
        "AssumedRoleUser": {
            "AssumedRoleId": "AROA:kim",
            "Arn": "arn:aws:sts::123456789012:assumed-role/sso/kim",
        },
    }
    origin = sts_session_record(
        "AssumeRoleWithSAML", saml, response, {"roleArn": "sso"}, when=_at(1), ua="Mozilla/5.0"
    )
    change = record(
        "UpdateAssumeRolePolicy",
        "iam",
        assumed("sso", "kim", "ASIASAML1"),
        when=_at(2),
        params={"roleName": "app"},
        ua="AWS Internal",
    )
    role = _result("aws_iam_role", "app", Status.CHANGED, "assume_role_policy")
    matches = attribute_report(_report(role), _events(origin, change))
    (found,) = role.attribution
    assert (found.actor, found.actor_type, found.via, found.confidence) == (
        "kim@example.com",
        "SAMLUser",
        "console",
        EXACT,
    )
    payload = attributed_event(matches[0], drift_event="d-1")
    assert payload["kind"] == "cloud.change.attributed" and payload["subject"] == "aws_iam_role.x"
    assert payload["data"]["actor"] == "kim@example.com" and payload["data"]["drift_event"] == "d-1"
    assert payload["after"]["eventID"] == change["eventID"]


def test_audit_payload_redacts_credentials_in_the_raw_record() -> None:
    change = record(
        "UpdateAssumeRolePolicy",
        "iam",
        iam_user("x"),
        when=_at(2),
        params={"roleName": "app"},
        response={"credentials": {"accessKeyId": "ASIA1", "sessionToken": "very-secret"}},
    )
    role = _result("aws_iam_role", "app", Status.CHANGED, "assume_role_policy")
    (match,) = attribute_report(_report(role), _events(change))
    payload = attributed_event(match)
    assert "very-secret" not in json.dumps(payload)
    assert payload["after"]["responseElements"]["credentials"]["accessKeyId"] == "ASIA1"
    assert (
        change["responseElements"]["credentials"]["sessionToken"] == "very-secret"
    )  # the original is untouched


def test_security_group_rules_exact_by_rule_id_resource_level_by_group() -> None:
    by_id = _result(
        "aws_vpc_security_group_ingress_rule",
        "sgr-111",
        Status.MISSING,
        expected={"security_group_id": "sg-1", "from_port": 22},
    )
    by_group = _result(
        "aws_vpc_security_group_ingress_rule",
        "sgr-222",
        Status.MISSING,
        expected={"security_group_id": "sg-2", "from_port": 443},
    )
    other_group = _result(
        "aws_vpc_security_group_ingress_rule",
        "sgr-333",
        Status.MISSING,
        expected={"security_group_id": "sg-3", "from_port": 80},
    )
    egress = ResourceResult(
        None,
        "aws_vpc_security_group_egress_rule",
        "sgr-444",
        Status.UNMANAGED,
        None,
        parent="aws_security_group.x",
    )
    source = _events(
        record(
            "RevokeSecurityGroupIngress",
            "ec2",
            iam_user("ida"),
            when=_at(1),
            params={
                "groupId": "sg-1",
                "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-111"}]},
            },
        ),
        record(
            "RevokeSecurityGroupIngress",
            "ec2",
            iam_user("jon"),
            when=_at(2),
            params={"groupId": "sg-2", "ipPermissions": {"items": [{"fromPort": 443, "toPort": 443}]}},
        ),
        record(
            "AuthorizeSecurityGroupEgress",
            "ec2",
            iam_user("kat"),
            when=_at(3),
            params={"groupId": "sg-9"},
            response={
                "securityGroupRuleSet": {"items": [{"securityGroupRuleId": "sgr-444", "isEgress": True}]}
            },
        ),
    )
    attribute_report(_report(by_id, by_group, other_group, egress), source)
    assert [(a.actor, a.confidence) for a in by_id.attribution] == [("ida", EXACT)]
    assert [(a.actor, a.confidence) for a in by_group.attribution] == [("jon", RESOURCE)]
    assert other_group.attribution == []
    assert [(a.actor, a.confidence) for a in egress.attribution] == [("kat", EXACT)]


def test_actor_listing_and_filter() -> None:
    bucket = _result("aws_s3_bucket", "logs", Status.CHANGED, "tags.Owner")
    role = _result("aws_iam_role", "app", Status.CHANGED, "assume_role_policy")
    queue = _result("aws_sqs_queue", QUEUE, Status.CHANGED, "policy")
    source = _events(
        record("PutBucketTagging", "s3", iam_user("Lee"), when=_at(1), params={"bucketName": "logs"}),
        record("UpdateAssumeRolePolicy", "iam", iam_user("Lee"), when=_at(2), params={"roleName": "app"}),
        record("AddPermission", "sqs", iam_user("mo"), when=_at(3), params=None),  # time proximity only
    )
    report = _report(bucket, role, queue)
    attribute_report(report, source)
    assert actors(report) == [("Lee", 2), ("mo", 1)]
    assert actors(report, min_confidence="exact") == [("Lee", 2)]
    assert [r.type for r in resources_by_actor(report, "lee")] == ["aws_s3_bucket", "aws_iam_role"]
    assert resources_by_actor(report, "mo", min_confidence="resource") == []


def test_time_proximity_candidates_must_be_of_the_right_kind() -> None:
    gone = _result("aws_sqs_queue", QUEUE, Status.MISSING)
    still_gone = _result("aws_sqs_queue", QUEUE.replace("orders", "jobs"), Status.MISSING)
    source_update_only = _events(
        record("SetQueueAttributes", "sqs", iam_user("tuner"), when=_at(1), params=None)
    )
    attribute_report(_report(gone), source_update_only)
    assert gone.attribution == []  # a redacted attribute change cannot explain a deletion
    source_delete = _events(record("DeleteQueue", "sqs", iam_user("remover"), when=_at(1), params=None))
    attribute_report(_report(still_gone), source_delete)
    assert [(a.actor, a.confidence) for a in still_gone.attribution] == [("remover", TIME)]


class _CountingSource(StaticSource):
    def __init__(self, events: list) -> None:
        super().__init__(events)
        self.questions: list[tuple[datetime, datetime, frozenset[str]]] = []

    def events(self, start: datetime, end: datetime, *, resource_names: Any = ()) -> list:
        self.questions.append((start, end, frozenset(resource_names)))
        return super().events(start, end, resource_names=resource_names)


def test_sessions_are_traced_only_for_culprits_and_before_the_window() -> None:
    def session(caller: dict, role: str, name: str, key: str, when: datetime) -> dict:
        response = {
            "Credentials": {"AccessKeyId": key, "SessionToken": "t", "Expiration": when},
            "AssumedRoleUser": {
                "AssumedRoleId": f"AROA:{name}",
                "Arn": f"arn:aws:sts::123456789012:assumed-role/{role}/{name}",
            },
        }
        return sts_session_record(
            "AssumeRole", caller, response, {"roleArn": role}, when=when, ua="aws-cli/2"
        )

    records = [
        # The human's hop happened three hours before the state write; the second hop inside the window.
        session(iam_user("nia"), "jump", "nia", "ASIAJUMP", _at(-180)),
        session(assumed("jump", "nia", "ASIAJUMP"), "deployer", "d", "ASIADEPLOY", _at(5)),
        record(
            "TagRole", "iam", assumed("deployer", "d", "ASIADEPLOY"), when=_at(6), params={"roleName": "app"}
        ),
        # A session that changed nothing drifted: its origin is never looked for.
        record(
            "TagRole",
            "iam",
            assumed("other", "o", "ASIAOTHER"),
            when=_at(7),
            params={"roleName": "unrelated"},
        ),
    ]
    source = _CountingSource(parse_log(json.dumps(records).encode(), "memory"))
    role = _result("aws_iam_role", "app", Status.CHANGED, "tags.Env")
    attribute_report(_report(role), source)
    (found,) = role.attribution
    assert (found.actor, len(found.chain)) == ("nia", 3)
    asked = set().union(*(q[2] for q in source.questions[1:]))
    assert "ASIAOTHER" not in asked and source.questions[1][0] <= _at(-180)
