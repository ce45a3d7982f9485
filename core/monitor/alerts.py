"""Alert sinks for status transitions: signed webhooks, Slack-compatible messages, local commands.

Every delivery attempt is returned as a `DeliveryAttempt` so the caller can record it in the audit
log; the dispatcher de-duplicates and rate-limits per resource so an incident pages once, not once
per poll.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from driftdeck.core.settings import SinkConfig
from driftdeck.core.transitions import Transition

SIGNATURE_HEADER = "X-Driftdeck-Signature"
TIMESTAMP_HEADER = "X-Driftdeck-Timestamp"


@dataclass(frozen=True)
class DeliveryAttempt:
    sink: str
    fingerprint: str
    attempt: int
    ok: bool
    detail: str  # HTTP status, exit code or error class: never the secret or the full body


def alert_payload(transition: Transition, *, workspace: str, plan_path: str | None = None) -> dict[str, Any]:
    """The JSON body every sink starts from."""
    res = transition.result
    body: dict[str, Any] = {
        "schema": "driftdeck.alert/v1",
        "event": transition.kind.value,
        "workspace": workspace,
        "resource": transition.key,
        "before": transition.before.value if transition.before else None,
        "after": transition.after.value if transition.after else None,
    }
    if res is not None:
        body["type"] = res.type
        body["id"] = res.id
        body["differences"] = [d.to_json() for d in res.differences]
        body["who"] = [a.to_json() for a in res.attribution[:3]]
    if plan_path:
        body["plan"] = plan_path
    return body


def event_payload(event: str, key: str, *, workspace: str, before: str | None, after: str | None,
                  **extra: Any) -> dict[str, Any]:
    """The same envelope for events that are not status transitions (auto-remediation, audit chain)."""
    return {"schema": "driftdeck.alert/v1", "event": event, "workspace": workspace, "resource": key,
            "before": before, "after": after, **extra}


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`, so a captured request cannot be replayed with a new time."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook blocks: resource, change, who, plan."""
    changes = "\n".join(
        f"• `{d['path']}`: {json.dumps(d['expected'])} → {json.dumps(d['actual'])}" for d in payload.get("differences", [])[:10]
    ) or "_no attribute detail_"
    who = ", ".join(f"{w['actor']} via {w['via']}" for w in payload.get("who", [])) or "unknown"
    title = f"driftdeck: {payload['event']} — {payload['resource']}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Status*\n{payload['before']} → {payload['after']}"},
            {"type": "mrkdwn", "text": f"*Who*\n{who}"},
        ]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Changes*\n{changes}"}},
    ]
    if payload.get("rule"):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Auto-remediation rule: `{payload['rule']}`"}]})
    if payload.get("plan"):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Plan: `{payload['plan']}`"}]})
    return {"text": title, "blocks": blocks}


class Sink:
    """Delivers one payload, retrying with exponential backoff; returns every attempt."""

    def __init__(self, config: SinkConfig, *, sleep: Callable[[float], None] = time.sleep, backoff: float = 0.5) -> None:
        self.config = config
        self._sleep = sleep
        self._backoff = backoff

    def deliver(self, payload: dict[str, Any], fingerprint: str) -> list[DeliveryAttempt]:
        attempts: list[DeliveryAttempt] = []
        for n in range(1, self.config.retries + 2):
            ok, detail, retryable = self._once(payload)
            attempts.append(DeliveryAttempt(self.config.name, fingerprint, n, ok, detail))
            if ok or not retryable or n > self.config.retries:
                break
            self._sleep(self._backoff * 2 ** (n - 1))
        return attempts

    def _once(self, payload: dict[str, Any]) -> tuple[bool, str, bool]:
        if self.config.kind == "command":
            return self._run_command(payload)
        body_doc = slack_message(payload) if self.config.kind == "slack" else payload
        return self._post(json.dumps(body_doc, sort_keys=True, default=str).encode())

    def _post(self, body: bytes) -> tuple[bool, str, bool]:
        assert self.config.url
        headers = {"Content-Type": "application/json", "User-Agent": "driftdeck"}
        if self.config.kind == "webhook" and self.config.secret_env:
            secret = os.environ.get(self.config.secret_env)
            if not secret:
                return False, f"signing key ${self.config.secret_env} is not set", False
            stamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = sign(secret.encode(), stamp, body)
        request = urllib.request.Request(self.config.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as response:  # noqa: S310 - configured URL
                return True, f"HTTP {response.status}", False
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}", exc.code >= 500 or exc.code == 429
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return False, f"{type(reason).__name__}", True

    def _run_command(self, payload: dict[str, Any]) -> tuple[bool, str, bool]:
        try:
            proc = subprocess.run(
                list(self.config.argv),
                input=json.dumps(payload, default=str).encode(),
                capture_output=True,
                timeout=self.config.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False, "timed out", True
        except OSError as exc:
            return False, f"cannot run: {exc.strerror}", False
        return proc.returncode == 0, f"exit {proc.returncode}", proc.returncode != 0


@dataclass
class Dispatcher:
    """Sends each transition once to every sink; the same kind of alert for the same resource at
    most once per `rate_limit_seconds` (a flapping resource pages once, its resolution still gets through)."""

    sinks: list[Sink]
    rate_limit_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _last_fingerprint: dict[str, str] = field(default_factory=dict)
    _last_by_resource: dict[str, float] = field(default_factory=dict)
    suppressed: int = 0

    def dispatch(self, transition: Transition, payload: dict[str, Any]) -> list[DeliveryAttempt]:
        return self.notify(transition.key, transition.kind.value, transition.fingerprint, payload)

    def notify(self, key: str, event: str, fingerprint: str, payload: dict[str, Any]) -> list[DeliveryAttempt]:
        """Send any event about `key` (a resource, or the audit log) under the same dedupe and rate limit."""
        now = self.clock()
        slot = f"{key}|{event}"
        last = self._last_by_resource.get(slot)
        duplicate = self._last_fingerprint.get(key) == fingerprint
        if duplicate or (last is not None and now - last < self.rate_limit_seconds):
            self.suppressed += 1
            return []
        self._last_fingerprint[key] = fingerprint
        self._last_by_resource[slot] = now
        attempts: list[DeliveryAttempt] = []
        for sink in list(self.sinks):
            attempts.extend(sink.deliver(payload, fingerprint))
        return attempts
