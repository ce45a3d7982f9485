"""Out-of-band changes made through boto3 against the moto server, mirrored as CloudTrail files in a
moto S3 bucket (same names, same times), must be attributed to the right actor and attribute."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from ct_records import (
    ACCOUNT,
    ORG,
    UA_BOTO3,
    UA_CLI,
    UA_CONSOLE,
    UA_TERRAFORM,
    assumed,
    gz_records,
    iam_user,
    iso,
    now,
    record,
    root,
    sts_session_record,
    trail_key,
    web_identity_user,
)

from driftdeck.core.attribution import EXACT, S3LogSource, attribute_report, attributed_events
from driftdeck.core.model import (
    ChangeKind,
    Difference,
    ResourceResult,
    ScanReport,
    SourceInfo,
    SourceRef,
    Status,
)

BUCKET = "ct-logs"
STATE = "infra/terraform.tfstate"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _session_client(service: str, creds: dict[str, Any]) -> Any:
    return boto3.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _managed(
    address: str, type_: str, id_: str, status: Status, *diffs: Difference, **kw: Any
) -> ResourceResult:
    source = SourceRef(kind="terraform", file="infra/main.tf", line=1, state=STATE)
    return ResourceResult(address, type_, id_, status, source, list(diffs), region="us-east-1", **kw)


class Estate:
    """Baseline infrastructure, then real out-of-band changes, each mirrored by a CloudTrail record."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3")
        self.sqs = boto3.client("sqs")
        self.iam = boto3.client("iam")
        self.ec2 = boto3.client("ec2")
        self.sns = boto3.client("sns")
        self.sts = boto3.client("sts")
        self.records: list[dict[str, Any]] = []
        self.sts_records: list[dict[str, Any]] = []

    def baseline(self) -> None:
        self.s3.create_bucket(Bucket="acme-prod-logs")
        self.s3.put_bucket_tagging(
            Bucket="acme-prod-logs", Tagging={"TagSet": [{"Key": "Owner", "Value": "platform"}]}
        )
        self.s3.create_bucket(Bucket="other-bucket")
        self.orders_url = self.sqs.create_queue(QueueName="orders")["QueueUrl"]
        self.old_jobs_url = self.sqs.create_queue(QueueName="old-jobs")["QueueUrl"]
        self.iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(TRUST))
        self.iam.create_user(UserName="deploy")
        self.sg_id = self.ec2.create_security_group(GroupName="web", Description="web tier")["GroupId"]
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.topic_arn = self.sns.create_topic(Name="alerts")["TopicArn"]

    def alice_retags_bucket(self) -> None:
        tagging = {"TagSet": [{"Key": "Owner", "Value": "mallory"}]}
        self.s3.put_bucket_tagging(Bucket="acme-prod-logs", Tagging=tagging)
        self.records.append(
            record(
                "PutBucketTagging",
                "s3",
                iam_user("alice"),
                when=now(),
                ua=UA_CLI,
                params={"bucketName": "acme-prod-logs", "Tagging": tagging, "tagging": ""},
            )
        )

    def bob_opens_ssh_through_admin_role(self) -> None:
        params = {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/admin", "RoleSessionName": "bob-session"}
        response = self.sts.assume_role(**params)
        self.sts_records.append(
            sts_session_record(
                "AssumeRole",
                iam_user("bob", "AKIABOBEXAMPLEKEY001"),
                response,
                {"roleArn": params["RoleArn"], "roleSessionName": "bob-session"},
                when=now(),
                ua=UA_BOTO3,
            )
        )
        ec2 = _session_client("ec2", response["Credentials"])
        permission = {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        }
        result = ec2.authorize_security_group_ingress(GroupId=self.sg_id, IpPermissions=[permission])
        self.rule_id = result["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        rule_set = {
            "items": [
                {
                    "groupId": self.sg_id,
                    "securityGroupRuleId": self.rule_id,
                    "isEgress": False,
                    "ipProtocol": "tcp",
                    "fromPort": 22,
                    "toPort": 22,
                    "cidrIpv4": "0.0.0.0/0",
                }
            ]
        }
        self.records.append(
            record(
                "AuthorizeSecurityGroupIngress",
                "ec2",
                assumed("admin", "bob-session", response["Credentials"]["AccessKeyId"]),
                when=now(),
                ua=UA_BOTO3,
                params={
                    "groupId": self.sg_id,
                    "ipPermissions": {
                        "items": [
                            {
                                "ipProtocol": "tcp",
                                "fromPort": 22,
                                "toPort": 22,
                                "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                            }
                        ]
                    },
                },
                response={"_return": True, "securityGroupRuleSet": rule_set},
            )
        )

    def carol_changes_queue_through_a_role_chain(self) -> None:
        ci_params = {
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ci",
            "RoleSessionName": "carol-ci",
            "WebIdentityToken": "github-oidc-token",
        }
        first = self.sts.assume_role_with_web_identity(**ci_params)
        self.sts_records.append(
            sts_session_record(
                "AssumeRoleWithWebIdentity",
                web_identity_user("repo:acme/infra:ref:refs/heads/main"),
                first,
                {"roleArn": ci_params["RoleArn"], "roleSessionName": "carol-ci"},
                when=now(),
                ua=UA_BOTO3,
            )
        )
        ci_key = first["Credentials"]["AccessKeyId"]
        admin_params = {
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/queue-admin",
            "RoleSessionName": "carol-admin",
        }
        second = _session_client("sts", first["Credentials"]).assume_role(**admin_params)
        self.sts_records.append(
            sts_session_record(
                "AssumeRole",
                assumed("ci", "carol-ci", ci_key),
                second,
                {"roleArn": admin_params["RoleArn"], "roleSessionName": "carol-admin"},
                when=now(),
                ua=UA_BOTO3,
            )
        )
        self.chain_keys = (ci_key, second["Credentials"]["AccessKeyId"])
        sqs = _session_client("sqs", second["Credentials"])
        sqs.set_queue_attributes(QueueUrl=self.orders_url, Attributes={"VisibilityTimeout": "60"})
        self.records.append(
            record(
                "SetQueueAttributes",
                "sqs",
                assumed("queue-admin", "carol-admin", self.chain_keys[1]),
                when=now(),
                ua=UA_BOTO3,
                params={"queueUrl": self.orders_url, "attributes": {"VisibilityTimeout": "60"}},
            )
        )

    def dave_edits_trust_policy_in_console(self) -> None:
        policy = dict(
            TRUST,
            Statement=[
                *TRUST["Statement"],
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            ],
        )
        self.iam.update_assume_role_policy(RoleName="app-role", PolicyDocument=json.dumps(policy))
        self.records.append(
            record(
                "UpdateAssumeRolePolicy",
                "iam",
                iam_user("dave"),
                when=now(),
                ua=UA_CONSOLE,
                params={"roleName": "app-role", "policyDocument": json.dumps(policy)},
            )
        )

    def root_deletes_queue(self) -> None:
        self.sqs.delete_queue(QueueUrl=self.old_jobs_url)
        self.records.append(
            record(
                "DeleteQueue",
                "sqs",
                root(),
                when=now(),
                ua=UA_CONSOLE,
                params={"queueUrl": self.old_jobs_url},
            )
        )

    def terraform_runner_tags_user(self) -> None:
        self.iam.tag_user(UserName="deploy", Tags=[{"Key": "Team", "Value": "payments"}])
        self.records.append(
            record(
                "TagUser",
                "iam",
                iam_user("tf-runner"),
                when=now(),
                ua=UA_TERRAFORM,
                params={"userName": "deploy", "tags": [{"key": "Team", "value": "payments"}]},
            )
        )

    def mallory_adds_access_key(self) -> None:
        key = self.iam.create_access_key(UserName="deploy")["AccessKey"]
        self.access_key_id = key["AccessKeyId"]
        self.records.append(
            record(
                "CreateAccessKey",
                "iam",
                iam_user("mallory"),
                when=now(),
                ua=UA_CLI,
                params={"userName": "deploy"},
                response={
                    "accessKey": {"accessKeyId": key["AccessKeyId"], "status": "Active", "userName": "deploy"}
                },
            )
        )

    def partner_renames_topic(self) -> None:
        # A cross-account session: its AssumeRole is logged in the partner's account, not here.
        self.sns.set_topic_attributes(
            TopicArn=self.topic_arn, AttributeName="DisplayName", AttributeValue="Pager"
        )
        identity = assumed("partner-admin", "ext-session", "ASIAPARTNEREXAMPLE01", source_identity="erin")
        self.records.append(
            record(
                "SetTopicAttributes",
                "sns",
                identity,
                when=now(),
                ua=UA_BOTO3,
                params={
                    "topicArn": self.topic_arn,
                    "attributeName": "DisplayName",
                    "attributeValue": "Pager",
                },
            )
        )

    def noise(self, before_window: Any) -> list[dict[str, Any]]:
        """Events that must not be attributed: another bucket, a refused call, a change before the window."""
        self.s3.put_bucket_tagging(
            Bucket="other-bucket", Tagging={"TagSet": [{"Key": "Owner", "Value": "zed"}]}
        )
        return [
            record(
                "PutBucketTagging",
                "s3",
                iam_user("zed"),
                when=now(),
                params={"bucketName": "other-bucket", "Tagging": {}},
            ),
            record(
                "PutBucketTagging",
                "s3",
                iam_user("mallory"),
                when=now(),
                error="AccessDenied",
                params={"bucketName": "acme-prod-logs", "Tagging": {}},
            ),
            record(
                "PutBucketTagging",
                "s3",
                iam_user("eve"),
                when=before_window,
                params={"bucketName": "acme-prod-logs", "Tagging": {}},
            ),
        ]


@pytest.fixture()
def estate(aws_env: Any) -> Estate:
    return Estate()


def test_each_drift_is_attributed_to_the_right_actor_and_attribute(estate: Estate) -> None:
    estate.baseline()
    written_at = now() - timedelta(seconds=1)  # the state write that ends the baseline apply
    estate.alice_retags_bucket()
    estate.bob_opens_ssh_through_admin_role()
    estate.carol_changes_queue_through_a_role_chain()
    estate.dave_edits_trust_policy_in_console()
    estate.root_deletes_queue()
    estate.terraform_runner_tags_user()
    estate.mallory_adds_access_key()
    estate.partner_renames_topic()
    noise = estate.noise(before_window=written_at - timedelta(hours=1))
    scan_time = now() + timedelta(minutes=1)

    s3 = estate.s3
    s3.create_bucket(Bucket=BUCKET)
    changes, sessions = estate.records, estate.sts_records
    s3.put_object(Bucket=BUCKET, Key=trail_key(scan_time), Body=gz_records(changes[:4] + noise[:2]))
    s3.put_object(Bucket=BUCKET, Key=trail_key(scan_time), Body=gz_records(changes[4:] + sessions))
    s3.put_object(Bucket=BUCKET, Key=trail_key(written_at - timedelta(hours=1)), Body=gz_records(noise[2:]))
    # The organisation trail delivers the same events again; they must count once.
    s3.put_object(Bucket=BUCKET, Key=trail_key(scan_time, org=ORG), Body=gz_records(changes + sessions))
    broken_key = trail_key(scan_time).replace(".json.gz", "-broken.json.gz")
    s3.put_object(Bucket=BUCKET, Key=broken_key, Body=b"\x1f\x8b\x08\x00truncated")
    old_day = written_at - timedelta(days=40)
    old_key = trail_key(old_day)
    s3.put_object(
        Bucket=BUCKET,
        Key=old_key,
        Body=gz_records(
            [
                record(
                    "PutBucketTagging",
                    "s3",
                    iam_user("ancient"),
                    when=old_day,
                    params={"bucketName": "acme-prod-logs"},
                )
            ]
        ),
    )

    diff = Difference
    resources = {
        "bucket": _managed(
            "aws_s3_bucket.logs",
            "aws_s3_bucket",
            "acme-prod-logs",
            Status.CHANGED,
            diff("tags.Owner", "platform", "mallory"),
        ),
        "sg": _managed(
            "aws_security_group.web",
            "aws_security_group",
            estate.sg_id,
            Status.CHANGED,
            diff("ingress[0].cidr_blocks[0]", None, "0.0.0.0/0", ChangeKind.ADDED),
        ),
        "rule": ResourceResult(
            None,
            "aws_vpc_security_group_ingress_rule",
            estate.rule_id,
            Status.UNMANAGED,
            None,
            parent="aws_security_group.web",
            region="us-east-1",
        ),
        "queue": _managed(
            "aws_sqs_queue.orders",
            "aws_sqs_queue",
            estate.orders_url,
            Status.CHANGED,
            diff("visibility_timeout_seconds", 30, 60),
        ),
        "role": _managed(
            "aws_iam_role.app",
            "aws_iam_role",
            "app-role",
            Status.CHANGED,
            diff("assume_role_policy", TRUST, {"changed": True}),
        ),
        "old_queue": _managed("aws_sqs_queue.old", "aws_sqs_queue", estate.old_jobs_url, Status.MISSING),
        "user": _managed(
            "aws_iam_user.deploy",
            "aws_iam_user",
            "deploy",
            Status.CHANGED,
            diff("tags.Team", None, "payments", ChangeKind.ADDED),
        ),
        "key": ResourceResult(
            None,
            "aws_iam_access_key",
            estate.access_key_id,
            Status.UNMANAGED,
            None,
            parent="aws_iam_user.deploy",
        ),
        "topic": _managed(
            "aws_sns_topic.alerts",
            "aws_sns_topic",
            estate.topic_arn,
            Status.CHANGED,
            diff("display_name", "", "Pager"),
        ),
        "vpc": _managed(
            "aws_vpc.main",
            "aws_vpc",
            estate.vpc_id,
            Status.CHANGED,
            diff("enable_dns_hostnames", False, True),
        ),
    }
    report = ScanReport(
        iso(scan_time),
        0,
        [SourceInfo("terraform", "infra", STATE, written_at=iso(written_at))],
        list(resources.values()),
    )
    source = S3LogSource(BUCKET, client=s3)
    matches = attribute_report(report, source)

    def only(key: str) -> Any:
        found = resources[key].attribution
        assert len(found) == 1, [a.to_json() for a in found]
        return found[0]

    bucket = only("bucket")
    assert (bucket.actor, bucket.actor_type, bucket.via, bucket.attribute) == (
        "alice",
        "IAMUser",
        "cli",
        "tags",
    )
    assert (bucket.event_name, bucket.confidence, bucket.source_ip) == (
        "PutBucketTagging",
        EXACT,
        "203.0.113.10",
    )

    sg = only("sg")
    assert (sg.actor, sg.actor_type, sg.attribute, sg.via) == ("bob", "IAMUser", "ingress", "sdk")
    assert sg.chain == (
        f"arn:aws:iam::{ACCOUNT}:user/bob",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/bob-session",
    )
    rule = only("rule")
    assert (rule.actor, rule.event_name, rule.attribute) == ("bob", "AuthorizeSecurityGroupIngress", None)

    queue = only("queue")
    assert (queue.actor, queue.actor_type) == ("repo:acme/infra:ref:refs/heads/main", "WebIdentityUser")
    assert queue.attribute == "visibility_timeout_seconds" and queue.confidence == EXACT
    assert len(queue.chain) == 3 and queue.chain[-1].endswith("assumed-role/queue-admin/carol-admin")

    role = only("role")
    assert (role.actor, role.via, role.attribute) == ("dave", "console", "assume_role_policy")

    deleted = only("old_queue")
    assert (deleted.actor_type, deleted.event_name, deleted.attribute) == ("Root", "DeleteQueue", None)
    assert deleted.actor == f"root ({ACCOUNT})"

    user = only("user")
    assert (user.actor, user.via, user.attribute) == ("tf-runner", "terraform", "tags")
    key = only("key")
    assert (key.actor, key.event_name) == ("mallory", "CreateAccessKey")
    topic = only("topic")
    assert (topic.actor, topic.source_identity, topic.attribute) == ("erin", "erin", "display_name")

    assert resources["vpc"].attribution == []  # nothing in the trail touched it: no culprit is invented

    # The broken object is reported by name and did not stop the others.
    assert any(broken_key in str(e) for e in source.errors)
    assert any(broken_key in w for w in report.warnings)
    # Only day folders inside the window (plus the delivery lag) were listed; the old day never was.
    old_folder = old_key.rsplit("/", 1)[0] + "/"
    assert old_folder not in source.listed_prefixes and old_key not in source.fetched_keys
    assert any(p.startswith(f"AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/") for p in source.listed_prefixes)

    payloads = attributed_events(matches, {"aws_s3_bucket.logs": "drift-event-1"})
    assert len(payloads) == sum(len(r.attribution) for r in resources.values())
    by_subject = {p["subject"]: p for p in payloads}
    bucket_payload = by_subject["aws_s3_bucket.logs"]
    assert bucket_payload["kind"] == "cloud.change.attributed"
    assert bucket_payload["data"]["drift_event"] == "drift-event-1"
    assert bucket_payload["data"]["event_id"] == bucket.event_id
    assert bucket_payload["after"] == changes[0]

    # The same trail, with a window that starts after every change: nothing is attributed.
    late = attribute_report(report, source, window_start=scan_time - timedelta(seconds=30))
    assert late == [] and all(r.attribution == [] for r in resources.values())


def test_organisation_trail_lists_only_the_day_folders_in_range(estate: Estate) -> None:
    s3 = estate.s3
    s3.create_bucket(Bucket=BUCKET)
    start = now() - timedelta(days=2)
    inside = record(
        "PutBucketTagging",
        "s3",
        iam_user("alice"),
        when=start + timedelta(days=1),
        params={"bucketName": "b"},
    )
    outside = record(
        "PutBucketTagging",
        "s3",
        iam_user("alice"),
        when=start - timedelta(days=5),
        params={"bucketName": "b"},
    )
    for rec, when in ((inside, start + timedelta(days=1)), (outside, start - timedelta(days=5))):
        s3.put_object(Bucket=BUCKET, Key=trail_key(when, org=ORG, prefix="trail/"), Body=gz_records([rec]))
    source = S3LogSource(
        BUCKET,
        prefix="trail",
        accounts=[ACCOUNT],
        org_id=ORG,
        regions=["us-east-1"],
        client=s3,
        delivery_lag=timedelta(0),
    )
    end = start + timedelta(days=2)
    events = source.events(start, end)
    assert [e.event_id for e in events] == [inside["eventID"]]
    base = f"trail/AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/us-east-1/"
    expected = [f"{base}{(start + timedelta(days=d)):%Y/%m/%d}/" for d in range(3)]
    assert source.listed_prefixes == expected
    # A second question over the same range reads no object twice.
    fetched = list(source.fetched_keys)
    source.events(start, end)
    assert source.fetched_keys == fetched
