"""Helpers for the EC2/IAM collector tests: boto3 sessions aimed at a URL, real terraform runs,
hand-written minimal state files, and a fault-injecting HTTP proxy in front of the moto server."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import botocore.session

REGION = "us-east-1"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "terraform" / "ec2_iam"


def session_for(endpoint: str, workdir: Path) -> boto3.session.Session:
    """A boto3 session whose clients all talk to `endpoint`, set through a private profile so that
    os.environ is left alone (module-scoped fixtures must not lean on the function-scoped aws_env)."""
    config = workdir / f"aws-config-{urllib.parse.urlsplit(endpoint).port}"
    config.write_text(
        "[profile ec2iam-test]\n"
        f"region = {REGION}\n"
        f"endpoint_url = {endpoint}\n"
        "aws_access_key_id = testing\n"
        "aws_secret_access_key = testing\n"
    )
    core = botocore.session.Session(profile="ec2iam-test")
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(workdir / "no-credentials-file"))
    return boto3.session.Session(botocore_session=core)


def terraform(workdir: Path, env: dict[str, str], *args: str, timeout: int = 600) -> str:
    flags = ["-input=false", "-no-color"] if args[0] in ("init", "apply", "plan") else ["-no-color"]
    proc = subprocess.run(
        ["terraform", *args, *flags], cwd=workdir, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def apply_fixture(workdir: Path, env: dict[str, str], endpoint: str) -> tuple[Path, Path]:
    """init + apply + `apply -refresh-only` of the fixture config in `workdir`.

    Returns (state straight after apply, state after the settling refresh), each copied alone into
    its own directory beside `workdir` so that a scan of it sees that state and nothing else.
    """
    shutil.copy(FIXTURE / "main.tf", workdir / "main.tf")
    env = {**env, "TF_VAR_endpoint": endpoint}
    terraform(workdir, env, "init")
    terraform(workdir, env, "apply", "-auto-approve")
    raw = workdir.parent / "raw"
    raw.mkdir()
    shutil.copy(workdir / "terraform.tfstate", raw / "terraform.tfstate")
    terraform(workdir, env, "apply", "-refresh-only", "-auto-approve")
    settled = workdir.parent / "settled"
    settled.mkdir()
    shutil.copy(workdir / "terraform.tfstate", settled / "terraform.tfstate")
    return raw / "terraform.tfstate", settled / "terraform.tfstate"


def terraform_drift(workdir: Path, env: dict[str, str], endpoint: str) -> list[dict[str, Any]]:
    """`resource_drift` of a refresh-only plan (the state file is left untouched)."""
    env = {**env, "TF_VAR_endpoint": endpoint}
    terraform(workdir, env, "plan", "-refresh-only", "-out=drift.tfplan")
    shown = json.loads(terraform(workdir, env, "show", "-json", "drift.tfplan"))
    return list(shown.get("resource_drift") or [])


def state_ids(state_file: Path) -> dict[str, str]:
    """address -> id (and `address.attr` for a few attributes the tests need)."""
    doc = json.loads(state_file.read_text())
    out: dict[str, str] = {}
    for res in doc["resources"]:
        if res["mode"] != "managed":
            continue
        address = f"{res['type']}.{res['name']}"
        attrs = res["instances"][0]["attributes"]
        out[address] = attrs["id"]
        for extra in ("arn", "name", "role", "policy_arn"):
            if extra in attrs:
                out[f"{address}.{extra}"] = attrs[extra]
    return out


def write_state(path: Path, resources: list[tuple[str, str, dict[str, Any]]]) -> Path:
    """A minimal state v4 file: (type, name, attributes) per resource."""
    doc = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": "driftdeck-ec2-iam-tests",
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


# --- fault-injecting proxy (EC2 and IAM speak the query protocol: Action=... in the body) ----------


def query_action(body: bytes) -> str:
    if body.startswith(b"Action=") or b"&Action=" in body:
        return urllib.parse.parse_qs(body.decode()).get("Action", [""])[0]
    return ""


def ec2_error(code: str, status: int) -> dict[str, Any]:
    body = f'<?xml version="1.0"?><Response><Errors><Error><Code>{code}</Code><Message>injected</Message></Error></Errors><RequestID>r1</RequestID></Response>'
    return {"status": status, "body": body.encode()}


def iam_error(code: str, status: int) -> dict[str, Any]:
    body = f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>r1</RequestId></ErrorResponse>'
    return {"status": status, "body": body.encode()}


@dataclass
class Fault:
    action: str
    status: int = 500
    body: bytes = b""
    hang: bool = False


class FaultProxy:
    """Forwards to the moto server, except for query actions a Fault names."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults: dict[str, Fault] = {}
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy.faults.get(query_action(body))
                if fault is not None and fault.hang:
                    proxy.release.wait(60)
                    self.close_connection = True
                    return
                if fault is not None:
                    self._reply(fault.status, {"Content-Type": "text/xml"}, fault.body)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    skip = {"transfer-encoding", "connection", "content-length"}
                    self._reply(resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in skip}, data)
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
        self._thread = threading.Thread(target=self._server.serve_forever, name="ec2iam-fault-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def add(self, action: str, **answer: Any) -> None:
        self.faults[action] = Fault(action, **answer)

