"""The "who" section and filter, CloudFormation stacks as source groups, and pending resources in the TUI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
from repo_paths import REPO
from rich.console import Console
from sample_reports import drifted_estate, mixed_sources_estate
from textual.color import Color
from textual.widgets import Input, Static
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.core.aws import AwsContext
from driftdeck.core.model import ScanReport, Status
from driftdeck.core.scan.run import ScanOptions, run_scan
from driftdeck.tui.app import DriftdeckApp
from driftdeck.tui.audit_feed import AuditEvent, MemoryFeed
from driftdeck.tui.view_model import STACK_RESOURCES, group_path, parse_filter, resource_label
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import LeafData, ResourceTree

SIZE = (160, 50)
SG = "module.network.aws_security_group.web"
STACK_BUCKET = "cfn:acme-web/AssetsBucket"
PENDING = "module.queues.aws_sqs_queue.orders"


def _plain(widget: Static, width: int = 120) -> str:
    """The text a Static shows (what it was last updated with), rendered without colour."""
    console = Console(width=width, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def _tcss_colour(name: str) -> str:
    """A colour variable as the app's stylesheet defines it (the single place status colours live)."""
    tcss = (REPO / "tui" / "app.tcss").read_text()
    found = re.search(rf"^\${name}:\s*(#[0-9a-fA-F]{{6}});", tcss, re.MULTILINE)
    assert found, name
    return found.group(1).lower()


def _keys(text: str) -> set[str]:
    flt = parse_filter(text)
    return {r.key for r in drifted_estate().resources if flt.matches(r)}


def test_who_filter_matches_actor_names_and_role_chain_hops() -> None:
    assert _keys("who:alice") == {SG}
    assert _keys("w:ALI") == {SG}
    assert _keys("who:ci-deployer") == {"aws_s3_bucket.assets"}
    assert _keys("who:codebuild") == {"aws_s3_bucket.assets"}  # a hop in the assumed-role chain
    assert _keys("actor:bob status:missing") == {"module.queues.aws_sqs_queue.orders_dlq"}
    assert _keys("who:mallory") == set()
    assert SG not in _keys("!who:alice") and "aws_s3_bucket.logs" in _keys("!who:alice")


def test_stack_resources_group_under_their_stack_with_logical_id_labels() -> None:
    by_key = {r.key: r for r in mixed_sources_estate().resources}
    stack_bucket = by_key[STACK_BUCKET]
    assert group_path(stack_bucket, Path("/ws")) == ("stack acme-web", STACK_RESOURCES, "aws_s3_bucket")
    assert resource_label(stack_bucket) == "AssetsBucket"
    assert group_path(by_key[SG], Path("/ws"))[0] == "terraform.tfstate"


@run_async
async def test_detail_pane_shows_who_changed_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        pane = app.query_one(DetailPane)
        assert tree.select_key(SG)
        await wait_for(pilot, lambda: pane.result is not None and pane.result.key == SG)
        who = _plain(app.query_one("#detail-attribution", Static))
        assert "who changed it" in who
        for cell in ("alice", "IAMUser", "console", "AuthorizeSecurityGroupIngress", "ingress",
                     "2026-01-01 11:04:31", "198.51.100.23", "exact"):
            assert cell in who, (cell, who)

        assert tree.select_key("aws_s3_bucket.assets")
        await wait_for(pilot, lambda: pane.result is not None and pane.result.key == "aws_s3_bucket.assets")
        who = _plain(app.query_one("#detail-attribution", Static))
        assert "ci-deployer/AWSCodeBuild-7f3e" in who and "AWSService" in who and "terraform" in who
        assert "as assumed-role/ci-deployer/AWSCodeBuild-7f3e" in who  # the session behind the workload

        assert tree.select_key("aws_s3_bucket.logs")  # in sync: nobody to name
        await wait_for(pilot, lambda: pane.result is not None and pane.result.key == "aws_s3_bucket.logs")
        assert _plain(app.query_one("#detail-attribution", Static)).strip() == ""
        assert not app.query_one("#detail-attribution", Static).display


@run_async
async def test_filter_box_by_actor(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)

        def shown() -> set[str]:
            return {n.data.key for n in tree._leaf_nodes.values() if isinstance(n.data, LeafData)}

        await pilot.press("slash")
        await pilot.press(*"who:alice")
        await wait_for(pilot, lambda: shown() == {SG})
        app.query_one("#filter", Input).value = "who:bob"
        await wait_for(pilot, lambda: shown() == {"module.queues.aws_sqs_queue.orders_dlq"})


@run_async
async def test_stack_is_a_source_group_and_pending_is_coloured_as_pending(tmp_path: Path) -> None:
    app = make_app(tmp_path, [mixed_sources_estate()])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        stack = tree.group_node(("stack acme-web",))
        assert stack is not None
        label = tree.render_label(stack, tree.get_component_rich_style("tree--label"), tree.rich_style).plain
        assert label.endswith("stack acme-web  2  1 drifted"), label
        leaf = tree.leaf_node(STACK_BUCKET)
        assert leaf is not None and leaf.parent is tree.group_node(("stack acme-web", STACK_RESOURCES, "aws_s3_bucket"))
        assert "AssetsBucket" in str(leaf.label)

        pending_leaf = tree.leaf_node(PENDING)
        assert pending_leaf is not None and tree.results[PENDING].status is Status.PENDING
        text = tree.render_label(pending_leaf, tree.rich_style, tree.rich_style)
        assert text.plain.startswith("… ")
        colours = {Color.from_rich_color(span.style.color).hex.lower() for span in text.spans
                   if not isinstance(span.style, str) and span.style.color is not None}
        assert _tcss_colour("status-pending") in colours, colours
        assert _tcss_colour("status-changed") not in colours

        # The detail pane tells a code edit apart from drift.
        assert tree.select_key(PENDING)
        pane = app.query_one(DetailPane)
        await wait_for(pilot, lambda: pane.result is not None and pane.result.key == PENDING)
        diffs = _plain(app.query_one("#detail-diffs", Static))
        assert "code edit (not applied): code vs state" in diffs and "visibility_timeout_seconds" in diffs
        assert "drift: state vs live" not in diffs  # a pending edit alone is not drift


@run_async
async def test_audit_panel_shows_a_pending_verdict_from_state_to_code(tmp_path: Path) -> None:
    verdict = {"status": "pending", "differences": [
        {"path": "visibility_timeout_seconds", "expected": 120, "actual": 60, "change": "updated", "side": "code"}]}
    feed = MemoryFeed([AuditEvent(1, "2026-01-01T11:00:00Z", "drift.detected", "ops@host", {"address": PENDING},
                                  {"from": "in_sync", "to": "pending"}, after=verdict)])
    app = make_app(tmp_path, [mixed_sources_estate()], feed=feed, record_audit=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(ResourceTree).select_key(PENDING)
        await settle(app, pilot)
        fields = _plain(app.query_one("#audit-event", Static))
        assert fields.count("verdict") == 1 and "in_sync → pending" in fields
        shown = _plain(app.query_one("#audit-event-diff", Static))  # the diff has its own unwrapped block
        assert "visibility_timeout_seconds (code edit, not applied)" in shown
        assert shown.index("- 60") < shown.index("+ 120"), shown  # state's value, then the code's


@run_async
async def test_a_deployed_stack_scanned_for_real_is_a_source_group(aws_env: object, tmp_path: Path) -> None:
    template = {"Resources": {
        "Assets": {"Type": "AWS::S3::Bucket",
                   "Properties": {"BucketName": "acme-stack-assets", "Tags": [{"Key": "Env", "Value": "prod"}]}},
        "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "acme-stack-jobs"}},
    }}
    # The template beside the code, matched to its deployed stack by name.
    (tmp_path / "acme-web.json").write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", **template}))
    boto3.client("cloudformation").create_stack(StackName="acme-web", TemplateBody=json.dumps(template))
    boto3.client("s3").put_bucket_tagging(Bucket="acme-stack-assets", Tagging={"TagSet": [{"Key": "Env", "Value": "dev"}]})

    def scanner() -> ScanReport:
        return run_scan(ScanOptions(path=tmp_path, regions=("us-east-1",), detect_unmanaged=False), ctx=AwsContext())

    app = DriftdeckApp(tmp_path, scanner=scanner, poll_interval=0, watch=False, feed=MemoryFeed())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ResourceTree)
        assert tree.group_node(("stack acme-web",)) is not None, [n.message for n in app._notifications]  # the scan error, if any
        assert "cfn:acme-web/Assets" in tree.results and tree.results["cfn:acme-web/Assets"].status is Status.CHANGED
        leaf = tree.leaf_node("cfn:acme-web/Assets")
        assert leaf is not None and str(leaf.label) == "Assets"
        assert leaf.parent is tree.group_node(("stack acme-web", STACK_RESOURCES, "aws_s3_bucket"))
        assert tree.select_key("cfn:acme-web/Assets")
        pane = app.query_one(DetailPane)
        await wait_for(pilot, lambda: pane.result is not None and pane.result.key == "cfn:acme-web/Assets")
        identity = _plain(app.query_one("#detail-identity", Static))
        assert "stack  acme-web" in identity and "logical  Assets" in identity
        assert "arn:aws:cloudformation:us-east-1:123456789012:stack/acme-web/" in identity
        assert "/Properties/Tags/0/Value" in _plain(app.query_one("#detail-diffs", Static))
