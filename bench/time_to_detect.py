"""Time to detect an out-of-band change: CloudTrail events (SQS) vs polling, against a local moto server.

Run: .venv/bin/python bench/time_to_detect.py [--resources 150] [--changes 20] [--spread 60]
     [--poll-interval 60] [--mode both|events|poll]
An estate of N S3 buckets (all in a state file, all in sync) is watched by the real `MonitorLoop`;
`--changes` tag changes hit random buckets at random times within `--spread` seconds. With events,
the bench writes each change's CloudTrail record to the queue in its EventBridge envelope right
after the boto3 call returns (moto does not deliver rule targets: the delivery delay is ~0 here).
`--lose N` drops N of the events (never sent) to show the safety-net full poll (`--full-poll`
seconds, 900 by default) still catching them. Prints, per mode: p50/p95 seconds from the boto3 call returning to the `drift.new` verdict, missed
changes, and live reads per detected change (GetBucketTagging requests: one per bucket read).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from moto.server import ThreadedMotoServer

from driftdeck.core.aws import AwsContext
from driftdeck.core.monitor.alerts import Dispatcher
from driftdeck.core.monitor.events import SqsSource, start_events
from driftdeck.core.monitor.loop import MonitorLoop
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.core.settings import Config

REGION = "us-east-1"
QUEUE = "driftdeck-events"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="ttd-aws-"))


def _session(endpoint: str) -> boto3.session.Session:
    """A session whose clients all talk to `endpoint` (through a private AWS config file)."""
    config = _CONFIG_DIR / "config"
    config.write_text(f"[profile bench]\nregion = {REGION}\nendpoint_url = {endpoint}\n"
                      "aws_access_key_id = bench\naws_secret_access_key = bench\n")
    core = botocore.session.Session(profile="bench")
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(_CONFIG_DIR / "none"))
    return boto3.session.Session(botocore_session=core)


def _envelope(bucket: str, tags: dict[str, str]) -> str:
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    detail = {
        "eventVersion": "1.09", "eventTime": when, "eventSource": "s3.amazonaws.com", "eventName": "PutBucketTagging",
        "awsRegion": REGION, "sourceIPAddress": "203.0.113.10", "userAgent": "bench",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bench", "userName": "bench",
                         "accountId": "123456789012"},
        "requestParameters": {"bucketName": bucket, "Tagging": {"TagSet": {"Tag": [
            {"Key": k, "Value": v} for k, v in tags.items()]}}},
        "responseElements": None, "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
    }
    return json.dumps({"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
                       "source": "aws.s3", "account": "123456789012", "time": when, "region": REGION,
                       "resources": [], "detail": detail})


def _estate(endpoint: str, folder: Path, count: int) -> list[str]:
    s3 = _session(endpoint).client("s3")
    names = [f"ttd-{i:03d}" for i in range(count)]
    tags = {"Env": "prod"}
    for name in names:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}]})
    doc = {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "bench", "outputs": {},
           "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": n.replace("-", "_"),
                          "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                          "instances": [{"schema_version": 0, "sensitive_attributes": [],
                                         "attributes": {"id": n, "bucket": n, "tags": tags, "tags_all": tags}}]}
                         for n in names]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "terraform.tfstate").write_text(json.dumps(doc))
    return names


def _run(mode: str, endpoint: str, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()
    folder = Path(tempfile.mkdtemp(prefix=f"ttd-{mode}-"))
    names = _estate(endpoint, folder, args.resources)
    operator = _session(endpoint)
    s3, sqs = operator.client("s3"), operator.client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    driftdeck = _session(endpoint)
    reads = {"tagging": 0}

    def count(request: Any, **_kw: Any) -> None:
        if "tagging" in request.url and request.method == "GET":
            reads["tagging"] += 1

    driftdeck.events.register("before-send.s3", count)
    ctx = AwsContext(session=driftdeck)
    options = ScanOptions(path=folder, unmanaged_types=("aws_s3_bucket",), evaluate_code=False, reader="native")
    detected: dict[str, float] = {}

    def log(event: str, level: str = "info", **fields: Any) -> None:
        if event == "drift.new":
            detected.setdefault(str(fields["resource"]), time.monotonic())

    interval = args.full_poll if mode == "events" else args.poll_interval
    loop = MonitorLoop(scan=lambda: run_scan(options, ctx=ctx), config=Config(interval_seconds=interval),
                     dispatcher=Dispatcher([]), recorder=None, log=log, workspace=str(folder))
    if mode == "events":
        start_events(loop, SqsSource(QUEUE, sqs), options, ctx)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    while loop.polls < 1:
        time.sleep(0.05)
    reads_before = reads["tagging"]
    rng = random.Random(seed)
    targets = rng.sample(names, args.changes)
    offsets = sorted(rng.uniform(0, args.spread) for _ in targets)
    changed: dict[str, float] = {}
    lost = set(rng.sample(targets, args.lose)) if mode == "events" else set()
    start = time.monotonic()
    for bucket, offset in zip(targets, offsets, strict=True):
        time.sleep(max(0.0, start + offset - time.monotonic()))
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "Env", "Value": "changed"}]})
        changed[f"aws_s3_bucket.{bucket.replace('-', '_')}"] = time.monotonic()
        if mode == "events" and bucket not in lost:
            sqs.send_message(QueueUrl=queue_url, MessageBody=_envelope(bucket, {"Env": "changed"}))
    deadline = time.monotonic() + (args.full_poll if lost else 30.0 if mode == "events" else 2 * args.poll_interval) + 60.0
    while time.monotonic() < deadline and not set(changed) <= set(detected):
        time.sleep(0.05)
    loop.stop.set()
    thread.join(30)
    lost_keys = {f"aws_s3_bucket.{b.replace('-', '_')}" for b in lost}
    latencies = sorted(detected[k] - t for k, t in changed.items() if k in detected and k not in lost_keys)
    late = sorted(detected[k] - t for k, t in changed.items() if k in detected and k in lost_keys)
    found = len(latencies) + len(late)
    return {
        "mode": mode,
        "changes": len(changed),
        "missed": len(changed) - found,
        "lost": len(lost),
        "lost_found_after": max(late) if late else None,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))] if latencies else float("nan"),
        "reads_per_change": (reads["tagging"] - reads_before) / found if found else float("nan"),
        "polls": loop.polls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=150)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--spread", type=float, default=60.0, help="changes happen at random times within this many seconds")
    parser.add_argument("--poll-interval", type=float, default=60.0, help="the polling baseline's interval (watch's default)")
    parser.add_argument("--full-poll", type=float, default=900.0, help="safety-net full poll interval with events")
    parser.add_argument("--lose", type=int, default=0, help="events never delivered (the safety net must catch them)")
    parser.add_argument("--mode", choices=("both", "events", "poll"), default="both")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    port = _port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        modes = ("events", "poll") if args.mode == "both" else (args.mode,)
        print(f"{args.resources} buckets, {args.changes} changes within {args.spread:g}s")
        for mode in modes:
            r = _run(mode, f"http://127.0.0.1:{port}", args, args.seed)
            label = "events (SQS)" if mode == "events" else f"polling every {args.poll_interval:g}s"
            print(f"{label:>22}: p50 {r['p50']:.2f}s  p95 {r['p95']:.2f}s  missed {r['missed']}/{r['changes']}  "
                  f"live reads per change {r['reads_per_change']:.2f}  (polls {r['polls']})")
            if r["lost"]:
                print(f"{'':>22}  {r['lost']} event(s) lost: found by the safety-net poll, the last after "
                      f"{r['lost_found_after'] or float('nan'):.1f}s (p50/p95 above: delivered events only)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
