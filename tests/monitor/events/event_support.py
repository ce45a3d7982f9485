"""Support for the event tests: an S3 estate on the moto server read through a counting proxy, an SQS queue that receives the
EventBridge envelopes of CloudTrail records for the test's real boto3 changes, and a loop log."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_test_support import FaultProxy, session_for, write_state
from ct_records import ACCOUNT, iam_user, iso, now, record

from driftdeck.core.aws import AwsContext
from driftdeck.core.monitor.events import SqsSource

__all__ = ["iso", "now"]  # CloudTrail time helpers, re-exported for the tests

QUEUE = "driftdeck-events"
TAGS = {"Env": "prod"}


def envelope(detail: dict[str, Any]) -> str:
    """The SQS body an EventBridge rule target receives for one CloudTrail API call."""
    return json.dumps({
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + detail["eventSource"].split(".")[0],
        "account": ACCOUNT,
        "time": detail["eventTime"],
        "region": detail["awsRegion"],
        "resources": [],
        "detail": detail,
    })


def tagging_record(bucket: str, tags: dict[str, str], *, who: str = "gus", when: Any = None) -> dict[str, Any]:
    """CloudTrail's record of s3:PutBucketTagging, as for the boto3 call the test made."""
    params = {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com",
              "Tagging": {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in tags.items()]}}, "tagging": ""}
    return record("PutBucketTagging", "s3", iam_user(who), when=when or now(), params=params)




@dataclass
class Estate:
    workspace: Path
    buckets: list[str]
    proxy: FaultProxy
    ctx: AwsContext  # driftdeck's reads, through the counting proxy
    s3: Any  # the operator's out-of-band client, straight to moto
    sqs: Any
    queue_url: str

    def source(self) -> SqsSource:
        return SqsSource(QUEUE, self.sqs)

    def change_tags(self, bucket: str, tags: dict[str, str], **kw: Any) -> dict[str, Any]:
        """A real change, and the record CloudTrail would write for it."""
        self.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
        return tagging_record(bucket, tags, **kw)

    def send(self, bodies: list[str]) -> None:
        for start in range(0, len(bodies), 10):
            chunk = bodies[start:start + 10]
            self.sqs.send_message_batch(QueueUrl=self.queue_url,
                                        Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)])

    def queue_empty(self) -> bool:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"

    def bucket_operations(self, since: int = 0) -> Counter[tuple[str, str]]:
        """(bucket, operation) -> how often driftdeck asked it through the proxy: one read of a
        bucket is each of its GETs once."""
        out: Counter[tuple[str, str]] = Counter()
        for req in self.proxy.requests[since:]:
            name = req.path.strip("/").split("/")[0]
            if name in self.buckets:
                out[(name, req.operation)] += 1
        return out

    def bucket_requests(self, since: int = 0) -> dict[str, int]:
        """Requests per bucket that driftdeck made through the proxy (path-style S3 addressing)."""
        out: dict[str, int] = {}
        for req in self.proxy.requests[since:]:
            name = req.path.strip("/").split("/")[0]
            if name in self.buckets:
                out[name] = out.get(name, 0) + 1
        return out


def make_estate(endpoint: str, tmp_path: Path, count: int, *, visibility: int = 30) -> Iterator[Estate]:
    direct = session_for(endpoint, tmp_path)
    s3, sqs = direct.client("s3"), direct.client("sqs")
    buckets = [f"dd-ev-{i:02d}" for i in range(count)]
    tag_set = {"TagSet": [{"Key": k, "Value": v} for k, v in TAGS.items()]}
    for name in buckets:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging=tag_set)
    workspace = tmp_path / "iac"
    write_state(workspace / "terraform.tfstate", [
        ("aws_s3_bucket", name.replace("-", "_"), {"id": name, "bucket": name, "tags": TAGS, "tags_all": TAGS,
                                                   "arn": f"arn:aws:s3:::{name}"})
        for name in buckets])
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": str(visibility)})["QueueUrl"]
    proxy = FaultProxy(endpoint)
    proxy.start()
    try:
        ctx = AwsContext(session=session_for(proxy.url, tmp_path))
        yield Estate(workspace, buckets, proxy, ctx, s3, sqs, queue_url)
    finally:
        proxy.stop()


def until(condition: Callable[[], bool], wait: float = 30.0) -> bool:
    """Wait on a condition (bounded), never on a fixed sleep."""
    import time

    deadline = time.monotonic() + wait
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()

