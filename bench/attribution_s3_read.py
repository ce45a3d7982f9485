"""Reading a day of CloudTrail files from S3: sequential vs concurrent fetches, against a local moto server.

Run: .venv/bin/python bench/attribution_s3_read.py
A busy trail delivers a file about every 5 minutes per region (288 a day). Prints the median wall
time to read one such day with 1 worker (the baseline) and with 8, and the speed-up.
"""

from __future__ import annotations

import gzip
import json
import socket
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
from moto.server import ThreadedMotoServer

from driftdeck.core.attribution import S3LogSource

FILES, RECORDS, RUNS = 288, 20, 3
DAY = datetime(2026, 6, 1, tzinfo=UTC)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    port = _port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        s3.create_bucket(Bucket="trail")
        for f in range(FILES):
            when = DAY + timedelta(minutes=5 * f)
            records = [
                {
                    "eventID": str(uuid.uuid4()),
                    "eventName": "PutBucketTagging",
                    "eventSource": "s3.amazonaws.com",
                    "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "userIdentity": {"type": "IAMUser", "userName": "u"},
                    "requestParameters": {"bucketName": f"b{r}"},
                }
                for r in range(RECORDS)
            ]
            key = f"AWSLogs/123456789012/CloudTrail/us-east-1/2026/06/01/f{f:04d}.json.gz"
            s3.put_object(
                Bucket="trail", Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode())
            )
        timings: dict[int, float] = {}
        for workers in (1, 8):
            runs = []
            for _ in range(RUNS):
                source = S3LogSource(
                    "trail", client=s3, regions=["us-east-1"], accounts=["123456789012"], max_workers=workers
                )
                started = time.perf_counter()
                events = source.events(DAY, DAY + timedelta(hours=23, minutes=59))
                runs.append(time.perf_counter() - started)
                assert len(events) == FILES * RECORDS
            timings[workers] = statistics.median(runs)
            print(f"workers={workers}: {timings[workers]:.2f} s for {FILES} files ({FILES * RECORDS} events)")
        print(f"speed-up with 8 workers: {timings[1] / timings[8]:.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
