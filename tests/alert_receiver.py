"""A real HTTP receiver on 127.0.0.1 for alert-sink tests (the `receiver` fixture of tests/monitor)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest


class Receiver:
    """Answers with the queued status codes (then 200); a code of 0 means: hang past the timeout."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.plan: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers), body))
                code = receiver.plan.pop(0) if receiver.plan else 200
                if code == 0:
                    time.sleep(1.0)
                    code = 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict[str, Any]]:
        """Every request's JSON body, in order."""
        return [json.loads(body) for _, body in self.requests]

    def events(self) -> list[tuple[str, str]]:
        """(event, resource) of every alert received, in order."""
        return [(b["event"], b["resource"]) for b in self.bodies()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


