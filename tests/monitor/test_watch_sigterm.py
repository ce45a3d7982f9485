"""`driftdeck watch` as a process: SIGTERM while a scan is waiting on AWS leaves an audit log that
`driftdeck audit verify` accepts. A proxy in front of the moto server holds the scan's first request,
so the signal lands during the scan by construction, not by timing luck."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from driftdeck.core.audit import AuditReader

WAIT = 60.0


class HoldingProxy:
    """Forwards every request to `target`, but holds them all until `release` is set."""

    def __init__(self, target: str) -> None:
        self.held = threading.Event()
        self.release = threading.Event()
        parsed = urllib.parse.urlsplit(target)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                proxy.held.set()
                proxy.release.wait(WAIT)
                conn = http.client.HTTPConnection(host, port, timeout=WAIT)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _driftdeck(*args: str) -> list[str]:
    return [sys.executable, "-m", "driftdeck.tui.cli", *args]


def _start_watch(estate: Any, proxy: HoldingProxy, grace: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    (estate.workspace / ".driftdeck").mkdir(exist_ok=True)
    (estate.workspace / ".driftdeck" / "config.toml").write_text(
        f"[watch]\ninterval_seconds = 600\nstop_grace_seconds = {grace}\n")
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, AWS_MAX_ATTEMPTS="1")
    proc = subprocess.Popen(_driftdeck("watch", str(estate.workspace), "--no-unmanaged"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, env


def _events(stderr: str) -> list[str]:
    return [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]


def _verify(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_driftdeck("audit", "verify", "-w", str(workspace)), env=env, capture_output=True,
                          text=True, timeout=WAIT)


def test_sigterm_during_a_scan_lets_it_finish_and_leaves_a_verifiable_log(estate: Any) -> None:
    proxy = HoldingProxy(estate.endpoint)
    try:
        proc, env = _start_watch(estate, proxy, grace=30)
        assert proxy.held.wait(WAIT), "the scan never reached AWS"
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the handler has run; the scan is still held
        assert proc.poll() is None
        proxy.release.set()
        _, stderr = proc.communicate(timeout=WAIT)
    finally:
        proxy.close()
    assert proc.returncode == 0, stderr
    events = _events(stderr)
    assert events.index("watch.signal") < events.index("scan.completed") < events.index("watch.stopping")
    verify = _verify(estate.workspace, env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    newest = next(AuditReader.for_workspace(estate.workspace).iter_entries())
    assert newest.kind == "audit.checkpoint" and newest.data["reason"] == "session end"
    kinds = [e.kind for e in AuditReader.for_workspace(estate.workspace).iter_entries()]
    assert "scan.completed" in kinds


def test_sigterm_with_aws_hanging_abandons_the_scan_after_the_grace_and_still_verifies(estate: Any) -> None:
    proxy = HoldingProxy(estate.endpoint)
    try:
        proc, env = _start_watch(estate, proxy, grace=1)
        assert proxy.held.wait(WAIT), "the scan never reached AWS"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=WAIT)  # AWS never answers: only the grace period ends this
    finally:
        proxy.close()
    assert proc.returncode == 0, stderr
    events = _events(stderr)
    assert "scan.abandoned" in events and "scan.completed" not in events
    verify = _verify(estate.workspace, env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    kinds = [e.kind for e in AuditReader.for_workspace(estate.workspace).iter_entries()]
    assert "scan.completed" not in kinds and kinds[0] == "audit.checkpoint"
