"""Benchmark: `driftdeck scan --format json` vs `terraform plan -refresh-only` on the same estate.

For each N (default 30 and 150) a fresh moto server (own process) gets N resources of mixed types
applied by real terraform (VPCs, subnets, security groups inline and with separate rules, IAM roles,
policies, attachments, users, SQS queues, SNS topics, S3 buckets, EC2 instances); the state is
settled with `apply -refresh-only`; then both tools are timed several times each, alternately,
and the AWS requests each makes are counted from moto's request recorder.

    .venv/bin/python bench/scan_vs_terraform.py [--sizes 30 150] [--runs 3]

Needs terraform and the provider mirror (see ../shared/terraform/README.md). Prints figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PYTHON = sys.executable
DRIFTDECK = [PYTHON, "-m", "driftdeck.tui.cli"]

UNIT = 10  # resources per unit: vpc, subnet, 2 groups, 1 rule, role, policy, attachment, user, +1 rotating

CONFIG = """
variable "endpoint" { type = string }
variable "units" { type = number }
variable "rotating" { type = map(number) }

terraform {
  required_providers { aws = { source = "hashicorp/aws", version = "5.100.0" } }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true
  endpoints {
    ec2 = var.endpoint
    iam = var.endpoint
    sts = var.endpoint
    s3  = var.endpoint
    sqs = var.endpoint
    sns = var.endpoint
  }
  default_tags { tags = { Bench = "driftdeck" } }
}

resource "aws_vpc" "u" {
  count      = var.units
  cidr_block = "10.${count.index}.0.0/16"
  tags       = { Name = "bench-${count.index}" }
}

resource "aws_subnet" "u" {
  count      = var.units
  vpc_id     = aws_vpc.u[count.index].id
  cidr_block = "10.${count.index}.1.0/24"
}

resource "aws_security_group" "inline" {
  count  = var.units
  name   = "bench-inline-${count.index}"
  vpc_id = aws_vpc.u[count.index].id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "separate" {
  count  = var.units
  name   = "bench-separate-${count.index}"
  vpc_id = aws_vpc.u[count.index].id
}

resource "aws_vpc_security_group_ingress_rule" "u" {
  count             = var.units
  security_group_id = aws_security_group.separate[count.index].id
  cidr_ipv4         = "10.${count.index}.0.0/16"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
}

resource "aws_iam_role" "u" {
  count = var.units
  name  = "bench-${count.index}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_policy" "u" {
  count  = var.units
  name   = "bench-${count.index}"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "u" {
  count      = var.units
  role       = aws_iam_role.u[count.index].name
  policy_arn = aws_iam_policy.u[count.index].arn
}

resource "aws_iam_user" "u" {
  count = var.units
  name  = "bench-${count.index}"
}

resource "aws_sqs_queue" "r" {
  count = var.rotating["sqs"]
  name  = "bench-${count.index}"
}

resource "aws_sns_topic" "r" {
  count = var.rotating["sns"]
  name  = "bench-${count.index}"
}

resource "aws_s3_bucket" "r" {
  count  = var.rotating["s3"]
  bucket = "bench-bucket-${count.index}"
}

resource "aws_instance" "r" {
  count         = var.rotating["ec2"]
  ami           = "ami-1e749f67"
  instance_type = "t3.nano"
  subnet_id     = aws_subnet.u[count.index].id
}
"""


def rotating(units: int) -> dict[str, int]:
    """The tenth resource of each unit rotates over four more types."""
    kinds = ["sqs", "sns", "s3", "ec2"]
    return {k: units // 4 + (1 if i < units % 4 else 0) for i, k in enumerate(kinds)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Moto:
    """A moto server in its own process (so that it never competes for driftdeck's GIL)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.recording = workdir / "moto-recording.jsonl"
        env = {**os.environ, "MOTO_RECORDER_FILEPATH": str(self.recording)}
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def api(self, path: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/{path}", method="POST"), timeout=30).read()

    def count_requests(self, run: Callable[[], None]) -> int:
        self.api("recorder/reset-recording")
        self.api("recorder/start-recording")
        try:
            run()
        finally:
            self.api("recorder/stop-recording")
        text = self.recording.read_text() if self.recording.exists() else ""
        return sum(1 for line in text.splitlines() if line.strip())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def terraform_env(workdir: Path) -> dict[str, str]:
    if shutil.which("terraform") is None:
        raise SystemExit("terraform is not on PATH: nothing to compare against")
    rc = subprocess.run(["sh", str(SHARED / "terraform" / "terraformrc.sh")], capture_output=True, text=True)
    if rc.returncode != 0:
        raise SystemExit(rc.stderr.strip())
    (workdir / "terraformrc").write_text(rc.stdout)
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(workdir / "terraformrc"), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}


def tf(workdir: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(["terraform", *args, "-input=false", "-no-color"], cwd=workdir, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"terraform {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_size(n: int, runs: int, root: Path) -> dict[str, float]:
    units = n // UNIT
    workdir = root / f"n{n}"
    workdir.mkdir()
    moto = Moto(workdir)
    try:
        env = terraform_env(workdir)
        env.update({"TF_VAR_endpoint": moto.url, "TF_VAR_units": str(units), "TF_VAR_rotating": json.dumps(rotating(units))})
        (workdir / "main.tf").write_text(CONFIG)
        tf(workdir, env, "init")
        print(f"N={n}: applying {units * UNIT} resources with terraform ...", flush=True)
        tf(workdir, env, "apply", "-auto-approve", "-parallelism=20")
        tf(workdir, env, "apply", "-refresh-only", "-auto-approve")
        scan_dir = workdir / "scan"
        scan_dir.mkdir()
        shutil.copy(workdir / "terraform.tfstate", scan_dir / "terraform.tfstate")
        managed = sum(len(r["instances"]) for r in json.loads((scan_dir / "terraform.tfstate").read_text())["resources"])
        scan_env = {
            **os.environ, "AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        report_file = workdir / "report.json"

        def run_terraform() -> None:
            tf(workdir, env, "plan", "-refresh-only", "-lock=false")

        def run_driftdeck() -> None:
            proc = subprocess.run(
                [*DRIFTDECK, "scan", str(scan_dir), "--format", "json", "--no-audit", "--output", str(report_file)],
                env=scan_env, capture_output=True, text=True,
            )
            if proc.returncode not in (0, 1, 3):
                raise SystemExit(f"driftdeck scan failed ({proc.returncode}): {proc.stderr[-2000:]}")

        def run_engine() -> None:
            """The engine alone (run_scan in this process): the CLI's figure minus interpreter start-up."""
            saved = dict(os.environ)
            os.environ.update({k: v for k, v in scan_env.items() if k.startswith("AWS_")})
            try:
                from driftdeck.core.aws import AwsContext
                from driftdeck.core.scan.run import ScanOptions, run_scan

                run_scan(ScanOptions(path=scan_dir), ctx=AwsContext())
            finally:
                os.environ.clear()
                os.environ.update(saved)

        run_driftdeck()  # warm-up (imports, pyc), not timed
        run_engine()
        tf_times, dd_times, engine_times = [], [], []
        for _ in range(runs):
            tf_times.append(timed(run_terraform))
            dd_times.append(timed(run_driftdeck))
            engine_times.append(timed(run_engine))
        report = json.loads(report_file.read_text())
        tf_requests = moto.count_requests(run_terraform)
        dd_requests = moto.count_requests(run_driftdeck)
    finally:
        moto.stop()
    tf_med, dd_med = statistics.median(tf_times), statistics.median(dd_times)
    summary = report.get("summary", {})
    print(f"N={managed} resources ({summary})")
    print(f"  terraform plan -refresh-only : median {tf_med:6.2f} s  runs {[round(t, 2) for t in tf_times]}")
    print(f"  driftdeck scan --format json : median {dd_med:6.2f} s  runs {[round(t, 2) for t in dd_times]}")
    engine_med = statistics.median(engine_times)
    print(f"  driftdeck engine in-process  : median {engine_med:6.2f} s  runs {[round(t, 2) for t in engine_times]}")
    print(f"  speed-up (terraform / driftdeck, medians): {tf_med / dd_med:5.1f}x")
    print(f"  driftdeck wall time per 100 resources: {dd_med / managed * 100:5.2f} s")
    print(f"  AWS requests: terraform {tf_requests} ({tf_requests / managed:.2f}/resource), "
          f"driftdeck {dd_requests} ({dd_requests / managed:.2f}/resource)", flush=True)
    return {"n": managed, "tf": tf_med, "dd": dd_med, "tf_req": tf_requests, "dd_req": dd_requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 150])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dd-bench-") as tmp:
        results = [bench_size(n, args.runs, Path(tmp)) for n in args.sizes]
    print("\nsummary")
    for r in results:
        print(f"  N={r['n']:4d}: terraform {r['tf']:6.2f} s, driftdeck {r['dd']:5.2f} s, ratio {r['tf'] / r['dd']:5.1f}x, "
              f"requests/resource terraform {r['tf_req'] / r['n']:.2f} vs driftdeck {r['dd_req'] / r['n']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
