"""Actor resolution (who, of what type, through which tool), on real corpus records and made-up chains."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ct_records import assumed, iam_user, record, sts_session_record
from repo_paths import CORPORA

from driftdeck.core.attribution import SessionIndex, parse_log, resolve_actor, via_of

CORPUS = CORPORA / "cloudtrail"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="CloudTrail corpus not on this machine")


def _load(relative: str) -> list:
    path = CORPUS / relative
    return parse_log(path.read_bytes(), str(path))


@pytest.mark.parametrize(
    ("agent", "via"),
    [
        ("aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64 prompt/off command/iam.tag-role", "cli"),
        ("aws-cli/1.11.10 Python/2.7.8 Linux/3.2.45 botocore/1.4.67", "cli"),
        (
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.5 prompt/off command/ec2.enable-serial-console-access",
            "cli",
        ),
        ("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 lang/python#3.11.7 Botocore/1.34.0", "sdk"),
        ("aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 api/sts#1.26.2", "sdk"),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.11.0 (+https://www.terraform.io) terraform-provider-aws/5.100.0 "
            "aws-sdk-go-v2/1.36.3",
            "terraform",
        ),
        ("AWS Internal", "console"),
        ("console.amazonaws.com", "console"),
        ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.1002]", "console"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:62.0) Gecko/20100101 Firefox/62.0", "console"),
        ("cloudformation.amazonaws.com", "cloudformation"),
        ("Pulumi/3.100.0 (pulumi-aws)", "pulumi"),
        ("lambda.amazonaws.com", "service"),
        ("stratus-red-team_5c59eb79", "other"),
        (None, "unknown"),
    ],
)
def test_via_from_user_agent(agent: str | None, via: str) -> None:
    assert via_of(agent) == via


def test_invoked_by_cloudformation_wins_over_the_agent() -> None:
    assert via_of("Boto3/1.0", "cloudformation.amazonaws.com") == "cloudformation"


@needs_corpus
def test_corpus_assumed_role_session_is_traced_to_the_iam_user() -> None:
    events = _load("DataDog__stratus-red-team/original/aws.credential-access.ec2-get-password-data.json")
    sessions = SessionIndex(events)
    call = next(e for e in events if e.event_name == "GetPasswordData")
    actor = resolve_actor(call.user_identity, call.event_time, sessions)
    assert (actor.name, actor.type, actor.resolved) == ("christophe", "IAMUser", True)
    assert actor.chain[-1] == call.user_identity["arn"]


@needs_corpus
def test_corpus_identity_types() -> None:
    events = _load(
        "awsdocs__aws-cloudtrail-user-guide/records/cloudtrail-event-reference-aws-console-sign-in-events.json"
    )
    root = next(e for e in events if e.user_identity.get("type") == "Root")
    actor = resolve_actor(root.user_identity, root.event_time, SessionIndex())
    assert actor.type == "Root" and actor.name == "root (111122223333)"

    service = next(
        e
        for e in _load("awsdocs__aws-kms-developer-guide/records/services-wm.json")
        if e.user_identity.get("type") == "AWSService"
    )
    actor = resolve_actor(service.user_identity, service.event_time, SessionIndex())
    assert (actor.name, actor.type) == ("workmail.eu-west-1.amazonaws.com", "AWSService")

    federated = next(
        e
        for e in _load("DataDog__stratus-red-team/records/aws.persistence.sts-federation-token.json")
        if e.user_identity.get("type") == "FederatedUser"
    )
    actor = resolve_actor(federated.user_identity, federated.event_time, SessionIndex())
    assert actor.name == "stratus-red-team-user-federation-user"


@needs_corpus
def test_corpus_source_identity_names_the_human_when_the_chain_leaves_the_account() -> None:
    events = _load("awsdocs__iam-user-guide/records/cloudtrail-integration.json")
    chained = next(e for e in events if e.user_identity.get("type") == "AssumedRole")
    actor = resolve_actor(chained.user_identity, chained.event_time, SessionIndex(events))
    assert actor.name == "JohnDoe" and actor.source_identity == "JohnDoe"


def _session(
    caller: dict, role: str, session: str, key: str, when: datetime, name: str = "AssumeRole"
) -> dict:
    response = {
        "Credentials": {"AccessKeyId": key, "SessionToken": "tok", "Expiration": when + timedelta(hours=1)},
        "AssumedRoleUser": {
            "AssumedRoleId": f"AROA:{session}",
            "Arn": f"arn:aws:sts::123456789012:assumed-role/{role}/{session}",
        },
    }
    return sts_session_record(
        name, caller, response, {"roleArn": role, "roleSessionName": session}, when=when, ua="aws-cli/2"
    )


def _parse(records: list[dict]) -> list:
    return parse_log(json.dumps({"Records": records}).encode(), "memory")


def test_three_hop_role_chain_resolves_to_the_human() -> None:
    t0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
    hops = [
        _session(iam_user("grace"), "jump", "grace-jump", "ASIAHOP1", t0),
        _session(
            assumed("jump", "grace-jump", "ASIAHOP1"), "platform", "p", "ASIAHOP2", t0 + timedelta(minutes=1)
        ),
        _session(
            assumed("platform", "p", "ASIAHOP2"), "prod-admin", "pa", "ASIAHOP3", t0 + timedelta(minutes=2)
        ),
    ]
    call = _parse(
        [
            record(
                "TagRole",
                "iam",
                assumed("prod-admin", "pa", "ASIAHOP3"),
                when=t0 + timedelta(minutes=3),
                params={"roleName": "x"},
            )
        ]
    )[0]
    actor = resolve_actor(call.user_identity, call.event_time, SessionIndex(_parse(hops)))
    assert (actor.name, actor.type) == ("grace", "IAMUser")
    assert len(actor.chain) == 4 and actor.chain[0].endswith(":user/grace")


def test_a_session_created_after_the_call_is_not_its_origin() -> None:
    t0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
    later = _parse([_session(iam_user("heidi"), "r", "s", "ASIALATER", t0 + timedelta(hours=1))])
    call = _parse(
        [record("TagRole", "iam", assumed("r", "s", "ASIALATER"), when=t0, params={"roleName": "x"})]
    )[0]
    actor = resolve_actor(call.user_identity, call.event_time, SessionIndex(later))
    assert actor.name == "r/s" and actor.type == "AssumedRole" and not actor.resolved


def test_instance_profile_session_names_the_workload() -> None:
    t0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
    service = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    origin = _parse([_session(service, "web-node", "i-0abc123", "ASIAEC2", t0)])
    call = _parse(
        [
            record(
                "PutBucketTagging",
                "s3",
                assumed("web-node", "i-0abc123", "ASIAEC2"),
                when=t0 + timedelta(minutes=5),
                params={"bucketName": "b"},
            )
        ]
    )[0]
    actor = resolve_actor(call.user_identity, call.event_time, SessionIndex(origin))
    assert (actor.name, actor.type) == ("web-node/i-0abc123", "AWSService")
    assert actor.extra["service"] == "ec2.amazonaws.com"


def test_refused_assume_role_is_not_an_origin() -> None:
    t0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
    refused = _session(iam_user("ivan"), "r", "s", "ASIAREFUSED", t0)
    refused["errorCode"] = "AccessDenied"
    call = _parse(
        [
            record(
                "TagRole",
                "iam",
                assumed("r", "s", "ASIAREFUSED"),
                when=t0 + timedelta(minutes=1),
                params={"roleName": "x"},
            )
        ]
    )[0]
    actor = resolve_actor(call.user_identity, call.event_time, SessionIndex(_parse([refused])))
    assert actor.name != "ivan" and not actor.resolved
