"""EC2/IAM collectors against the committed provider-written state, without terraform.

The reference estate is rebuilt in moto with boto3 from the state's own attributes; the scan of
the (id-rewritten) state must be clean. Faults injected by a proxy must give `unknown` with a
reason, never `in_sync` or `missing`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ec2iam_replay import REFERENCE, replay
from ec2iam_support import FaultProxy, ec2_error, operation, query_error, session_for

from driftdeck.core.aws import AwsContext
from driftdeck.core.live.collectors import collector_for
from driftdeck.core.model import ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan

MY_TYPES = {
    "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_vpc", "aws_subnet", "aws_instance",
    "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_user",
}


def _reference_resources() -> list[tuple[str, dict[str, Any]]]:
    doc = json.loads(REFERENCE.read_text())
    return [(r["type"], r["instances"][0]["attributes"]) for r in doc["resources"]]


def test_every_checked_attribute_is_a_real_terraform_attribute() -> None:
    """Checked attribute names are the provider's own: each is present in state it wrote."""
    seen: set[str] = set()
    for rtype, attrs in _reference_resources():
        collector = collector_for(rtype)
        assert collector is not None, rtype
        missing = [a for a in collector.checked_attributes if a not in attrs]
        assert missing == [], (rtype, missing)
        seen.add(rtype)
    assert seen == MY_TYPES


@pytest.fixture()
def replayed(aws_env: Any, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    session = session_for(aws_env.url, tmp_path)
    state, ids, _ = replay(session, tmp_path / "state")
    return state, ids


def _scan(state: Path, ctx: AwsContext) -> ScanReport:
    return run_scan(ScanOptions(path=state.parent), ctx=ctx)


def test_replayed_reference_estate_scans_clean(replayed: tuple[Path, dict[str, str]], aws_env: Any, tmp_path: Path) -> None:
    state, _ = replayed
    report = _scan(state, AwsContext(session_for(aws_env.url, tmp_path)))
    mine = [r for r in report.resources if r.type in MY_TYPES or r.parent]
    assert len([r for r in mine if r.address]) == 19
    bad = [(r.status.value, r.address, r.type, r.id, [d.to_json() for d in r.differences]) for r in mine if r.status is not Status.IN_SYNC]
    assert bad == []
    assert report.exit_code() == 0


FAULTS = {
    # action -> (fault, types it must make unknown, reason fragment)
    "DescribeSecurityGroups": (ec2_error("UnauthorizedOperation", 403), {"aws_security_group"}, "access denied"),
    "GetAccountAuthorizationDetails": (
        query_error("ServiceFailure", 500),
        {"aws_iam_role", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_user"},
        "server error 500",
    ),
    "DescribeVpcAttribute": (ec2_error("RequestLimitExceeded", 503), {"aws_vpc"}, "throttled past retries"),
    "DescribeInstances": ({"hang": True}, {"aws_instance"}, "timed out"),
}


@pytest.mark.parametrize("action", sorted(FAULTS))
def test_fault_gives_unknown_with_reason_and_exit_3(
    replayed: tuple[Path, dict[str, str]], aws_env: Any, tmp_path: Path, action: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault, types, reason = FAULTS[action]
    proxy = FaultProxy(aws_env.url)
    proxy.add(operation(action), **fault)
    proxy.start()
    # aws_env's AWS_ENDPOINT_URL would win over the session's profile: aim it at the proxy too.
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        ctx = AwsContext(session_for(proxy.url, tmp_path), max_attempts=2, connect_timeout=1.0, read_timeout=1.0)
        report = _scan(replayed[0], ctx)
    finally:
        proxy.stop()
    managed = [r for r in report.resources if r.address and r.type in MY_TYPES]
    for r in managed:
        if r.type in types:
            assert r.status is Status.UNKNOWN, (r.address, r.status)
            assert reason in (r.reason or ""), (r.address, r.reason)
        else:
            assert r.status is Status.IN_SYNC, (r.address, r.status, r.reason)
    # Nothing is claimed unmanaged or missing because a read failed.
    assert not [r for r in report.resources if r.status in (Status.MISSING, Status.UNMANAGED)]
    assert report.exit_code() == 3
