"""AWS test support shared by the collector tests: boto3 sessions aimed at a URL (no os.environ),
hand-written minimal state files, real terraform runs, and a fault-injecting HTTP proxy that sits
in front of the moto server and answers chosen requests with real AWS error documents."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import botocore.session

REGION = "us-east-1"


def session_for(endpoint: str, workdir: Path) -> boto3.session.Session:
    """A boto3 session whose every client talks to `endpoint`, without touching os.environ.

    The endpoint, region and (dummy) credentials come from a private config file, the way a user's
    profile would carry them, so AwsContext's own client creation is what gets exercised.
    """
    config = workdir / f"aws-config-{urllib.parse.urlsplit(endpoint).port}"
    config.write_text(
        "[profile driftdeck-test]\n"
        f"region = {REGION}\n"
        f"endpoint_url = {endpoint}\n"
        "aws_access_key_id = testing\n"
        "aws_secret_access_key = testing\n"
    )
    core = botocore.session.Session(profile="driftdeck-test")
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(workdir / "no-credentials-file"))
    return boto3.session.Session(botocore_session=core)


def write_state(path: Path, resources: list[tuple[str, str, dict[str, Any]]]) -> Path:
    """A minimal state v4 file: (type, name, attributes) per resource. Attributes left out are
    simply not compared, which is what the fault tests want (the faults, not fidelity, are tested)."""
    doc = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": "driftdeck-collector-tests",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": rtype,
                "name": name,
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []}],
            }
            for rtype, name, attrs in resources
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2))
    return path


# --- fault-injecting proxy --------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def operation(self) -> str:
        """A best-effort operation name: JSON target, query Action, or S3 method + sub-resource."""
        target = self.headers.get("x-amz-target")
        if target:
            return target.split(".")[-1]
        if self.body.startswith(b"Action=") or b"&Action=" in self.body:
            return urllib.parse.parse_qs(self.body.decode()).get("Action", [""])[0]
        sub = ",".join(sorted(k for k in self.query if k not in {"x-id", "prefix", "max-keys", "max-buckets", "continuation-token"}))
        bucket = self.path.strip("/").split("/")[0]
        return f"S3 {self.method} {'bucket' if bucket else 'service'}{'?' + sub if sub else ''}"


@dataclass
class Fault:
    """Answer requests that match with an error (or never answer when `hang`)."""

    match: Callable[[Request], bool]
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


def s3_error(code: str, status: int, message: str = "injected") -> dict[str, Any]:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>r1</RequestId></Error>'
    return {"status": status, "body": body.encode(), "headers": {"Content-Type": "application/xml"}}


def query_error(code: str, status: int, message: str = "injected") -> dict[str, Any]:
    """Query-protocol (SNS, IAM) error document."""
    body = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
    )
    return {"status": status, "body": body.encode(), "headers": {"Content-Type": "text/xml"}}


def ec2_error(code: str, status: int, message: str = "injected") -> dict[str, Any]:
    """EC2 (query protocol, EC2 error shape) error document."""
    body = (
        f'<?xml version="1.0"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>'
        "</Errors><RequestID>r1</RequestID></Response>"
    )
    return {"status": status, "body": body.encode(), "headers": {"Content-Type": "text/xml"}}


def operation(name: str) -> Callable[[Request], bool]:
    """Matches requests for one API operation (`Request.operation`)."""
    return lambda r: r.operation == name


def json_error(code: str, status: int, message: str = "injected") -> dict[str, Any]:
    """SQS (JSON protocol, query-compatible) error document."""
    body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
    return {
        "status": status,
        "body": body,
        "headers": {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"},
    }


class FaultProxy:
    """HTTP proxy on 127.0.0.1 forwarding to the moto server, except for requests a Fault matches."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.faults: list[Fault] = []
        self.seen: Counter[str] = Counter()
        self.requests: list[Request] = []  # every request, in arrival order (for counting live reads)
        self.release = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urllib.parse.urlsplit(self.path)
                req = Request(
                    self.command,
                    split.path,
                    urllib.parse.parse_qs(split.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with proxy._lock:
                    proxy.seen[req.operation] += 1
                    proxy.requests.append(req)
                fault = next((f for f in proxy.faults if f.match(req)), None)
                if fault is not None and fault.hang:
                    proxy.release.wait(60)
                    self.close_connection = True
                    return
                if fault is not None:
                    self._reply(fault.status, fault.headers, fault.body)
                    return
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection"}}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    passthrough = {
                        k: v for k, v in resp.getheaders() if k.lower() not in {"transfer-encoding", "connection", "content-length"}
                    }
                    self._reply(resp.status, passthrough, data)
                finally:
                    conn.close()

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def add(self, match: Callable[[Request], bool], **answer: Any) -> None:
        self.faults.append(Fault(match, **answer))


# --- real terraform ---------------------------------------------------------------------------


def terraform(workdir: Path, env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run terraform in `workdir`; fail the test with terraform's own output when it fails."""
    flags = ["-input=false", "-no-color"] if args[0] in ("init", "apply", "plan") else ["-no-color"]
    proc = subprocess.run(
        ["terraform", *args, *flags], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout
