"""Alert sinks against a real HTTP receiver on 127.0.0.1; transitions; config validation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from driftdeck.core.errors import InputError
from driftdeck.core.model import Difference, ResourceResult, Status
from driftdeck.core.monitor.alerts import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Dispatcher,
    Sink,
    alert_payload,
    sign,
)
from driftdeck.core.settings import SinkConfig, parse_config
from driftdeck.core.transitions import TransitionKind, carry_forward, transitions


def _changed(owner: str = "mallory") -> ResourceResult:
    return ResourceResult("aws_s3_bucket.logs", "aws_s3_bucket", "logs", Status.CHANGED, None,
                          [Difference("tags.Owner", "platform", owner)])


def _in_sync() -> ResourceResult:
    return ResourceResult("aws_s3_bucket.logs", "aws_s3_bucket", "logs", Status.IN_SYNC, None)


def test_transitions_only_report_changes() -> None:
    (new,) = transitions([_in_sync()], [_changed()])
    assert new.kind is TransitionKind.NEW_DRIFT and new.before is Status.IN_SYNC
    assert transitions([_changed()], [_changed()]) == []
    (moved,) = transitions([_changed()], [_changed("eve")])
    assert moved.kind is TransitionKind.DRIFT_CHANGED
    (resolved,) = transitions([_changed()], [_in_sync()])
    assert resolved.kind is TransitionKind.RESOLVED
    unmanaged = ResourceResult(None, "aws_sqs_queue", "q", Status.UNMANAGED, None)
    (new_u,) = transitions([], [unmanaged])
    assert new_u.kind is TransitionKind.NEW_UNMANAGED
    (gone,) = transitions([unmanaged], [])
    assert gone.kind is TransitionKind.RESOLVED and gone.after is None


def test_an_outage_is_neither_resolution_nor_new_drift() -> None:
    unknown = ResourceResult("aws_s3_bucket.logs", "aws_s3_bucket", "logs", Status.UNKNOWN, None, reason="throttled")
    assert transitions([_changed()], [unknown]) == []
    baseline = carry_forward([_changed()], [unknown])
    assert baseline[0].status is Status.CHANGED
    assert transitions(baseline, [_changed()]) == []


def test_webhook_body_is_signed_with_hmac(receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    sink = Sink(SinkConfig(kind="webhook", name="ops", url=receiver.url, secret_env="HOOK_SECRET"))
    (transition,) = transitions([_in_sync()], [_changed()])
    (attempt,) = sink.deliver(alert_payload(transition, workspace="infra"), transition.fingerprint)
    assert attempt.ok and attempt.detail == "HTTP 200"
    headers, body = receiver.requests[0]
    doc = json.loads(body)
    assert doc["event"] == "drift.new" and doc["resource"] == "aws_s3_bucket.logs"
    assert doc["differences"][0]["path"] == "tags.Owner"
    assert headers[SIGNATURE_HEADER] == sign(b"s3cret", headers[TIMESTAMP_HEADER], body)
    assert headers[SIGNATURE_HEADER] != sign(b"wrong", headers[TIMESTAMP_HEADER], body)
    assert "s3cret" not in attempt.detail


def test_webhook_retries_on_500_and_timeout_then_gives_up(receiver: Any) -> None:
    sleeps: list[float] = []
    receiver.plan = [500, 0, 200]
    sink = Sink(SinkConfig(kind="webhook", name="ops", url=receiver.url, timeout_seconds=0.3, retries=3), sleep=sleeps.append)
    attempts = sink.deliver({"event": "x"}, "fp")
    assert [a.ok for a in attempts] == [False, False, True]
    assert attempts[0].detail == "HTTP 500"
    assert "Timeout" in attempts[1].detail
    assert sleeps == [0.5, 1.0]  # exponential backoff
    receiver.plan = [503, 503]
    attempts = Sink(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=1), sleep=lambda s: None).deliver({}, "fp")
    assert [a.ok for a in attempts] == [False, False]
    receiver.plan = [400]
    (only,) = Sink(SinkConfig(kind="webhook", name="ops", url=receiver.url, retries=3), sleep=lambda s: None).deliver({}, "fp")
    assert not only.ok and only.detail == "HTTP 400"  # client errors are not retried


def test_slack_message_has_blocks(receiver: Any) -> None:
    sink = Sink(SinkConfig(kind="slack", name="chat", url=receiver.url))
    (transition,) = transitions([_in_sync()], [_changed()])
    sink.deliver(alert_payload(transition, workspace="infra", plan_path=".driftdeck/plans/x.md"), "fp")
    doc = json.loads(receiver.requests[0][1])
    text = json.dumps(doc["blocks"])
    assert "aws_s3_bucket.logs" in doc["text"] and "tags.Owner" in text and ".driftdeck/plans/x.md" in text


def test_slack_message_for_an_auto_remediation_names_the_rule(receiver: Any) -> None:
    from driftdeck.core.monitor.alerts import event_payload

    payload = event_payload("remediation.applied", "aws_s3_bucket_public_access_block.data", workspace="infra",
                            before="changed", after="in_sync", rule="restore-pab",
                            differences=[{"path": "block_public_acls", "expected": True, "actual": False}],
                            who=[{"actor": "alice", "via": "console"}])
    Sink(SinkConfig(kind="slack", name="chat", url=receiver.url)).deliver(payload, "fp")
    doc = json.loads(receiver.requests[0][1])
    text = json.dumps(doc["blocks"])
    assert doc["text"] == "driftdeck: remediation.applied — aws_s3_bucket_public_access_block.data"
    assert "restore-pab" in text and "block_public_acls" in text and "alice via console" in text
    assert "changed → in_sync" in json.loads(text)[1]["fields"][0]["text"]


def test_command_sink_gets_the_event_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    script = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    sink = Sink(SinkConfig(kind="command", name="cmd", argv=(sys.executable, "-c", script)))
    (attempt,) = sink.deliver({"event": "drift.new", "resource": "r"}, "fp")
    assert attempt.ok and json.loads(out.read_text())["resource"] == "r"
    (bad,) = Sink(SinkConfig(kind="command", name="cmd", argv=(sys.executable, "-c", "raise SystemExit(3)"), retries=0)).deliver({}, "fp")
    assert not bad.ok and bad.detail == "exit 3"


def test_dispatcher_deduplicates_and_rate_limits_per_resource(receiver: Any) -> None:
    now = [0.0]
    dispatcher = Dispatcher([Sink(SinkConfig(kind="webhook", name="ops", url=receiver.url))], rate_limit_seconds=300, clock=lambda: now[0])
    (t1,) = transitions([_in_sync()], [_changed()])
    assert len(dispatcher.dispatch(t1, {})) == 1
    assert dispatcher.dispatch(t1, {}) == []  # same alert again: deduplicated
    now[0] = 10
    (t2,) = transitions([_changed()], [_changed("eve")])
    assert dispatcher.dispatch(t2, {}) != []  # a different kind of alert goes through
    (t3,) = transitions([_changed("eve")], [_changed("zed")])
    assert dispatcher.dispatch(t3, {}) == []  # same kind within the window: rate-limited
    (t4,) = transitions([_changed()], [_in_sync()])
    assert dispatcher.dispatch(t4, {}) != []  # the resolution is never swallowed by the drift's limit
    assert len(receiver.requests) == 3 and dispatcher.suppressed == 2


def test_config_validation_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    good = parse_config(
        '[watch]\ninterval_seconds = 30\n\n[[alert]]\nkind = "webhook"\nurl = "http://127.0.0.1:9/x"\nsecret_env = "K"\n\n'
        '[[auto_remediation]]\nname = "pab"\ntype = "aws_s3_bucket_public_access_block"\ndry_run = true\n', path)
    assert good.interval_seconds == 30 and good.sinks[0].secret_env == "K" and good.auto_remediation[0].dry_run
    cases = {
        '[watch]\ninterval_seconds = "soon"\n': ("must be a number", 2),
        '[[alert]]\nkind = "pager"\n': ("kind must be one of", 2),
        '[[alert]]\nkind = "webhook"\nurl = "http://x"\nretrys = 3\n': ("unknown key 'retrys'", 4),
        '[watch\n': ("invalid TOML", 1),
        '[alerts]\n': ("unknown section", 1),
    }
    for text, (needle, line) in cases.items():
        with pytest.raises(InputError) as info:
            parse_config(text, path)
        assert needle in str(info.value) and info.value.line == line and info.value.file == str(path), text
