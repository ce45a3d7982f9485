"""Pilot tests: the footer offers only what a key would do now (issue 16 items 8 and 9).

The footer is read from the Footer widget itself (its FooterKey children), so a binding that is
merely dimmed still counts as shown: the operator sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sample_reports import drifted_estate
from textual.app import App
from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.tui.audit_feed import MemoryFeed
from driftdeck.tui.screens.plan import PlanScreen
from driftdeck.tui.widgets.resource_tree import ResourceTree

CHANGED = "aws_s3_bucket.assets"  # changed: its plan has a revert
IN_SYNC = "aws_iam_role.deployer"


def footer_labels(app: App[Any]) -> dict[str, str]:
    """Action -> label of every key the active screen's footer draws (dimmed ones included)."""
    footer = app.screen.query_one(Footer)
    return {key.action: key.description for key in footer.query(FooterKey)}


async def _open_plan(app: App[Any], pilot: Any, key: str) -> PlanScreen:
    app.query_one(ResourceTree).select_key(key)
    await settle(app, pilot)  # type: ignore[arg-type]
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plans_shown)  # built in a worker
    await pilot.pause()
    assert isinstance(app.screen, PlanScreen)
    return app.screen


@pytest.mark.parametrize("read_only", [False, True])
@run_async
async def test_read_only_hides_the_apply_key_in_the_plan_footer(tmp_path: Path, read_only: bool) -> None:
    app = make_app(tmp_path, [drifted_estate()], read_only=read_only, feed=MemoryFeed())
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        screen = await _open_plan(app, pilot, CHANGED)
        assert screen.apply_target() is not None  # the plan has a revert to run
        labels = footer_labels(app)
        assert "close" in labels and "save" in labels
        if read_only:
            assert "apply" not in labels and "Apply revert…" not in labels.values()
            assert "apply unavailable (read-only)" in str(screen.query_one("#plan-status").render())
            await pilot.press("a")  # unbound: nothing opens
            await pilot.pause()
            assert app.screen is screen
        else:
            assert labels["apply"] == "Apply revert…"


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
@run_async
async def test_an_in_sync_resource_plan_does_not_offer_apply(tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = await _open_plan(app, pilot, IN_SYNC)
        assert screen.apply_target() is None
        labels = footer_labels(app)
        assert "close" in labels
        assert "apply" not in labels  # neither offered nor dimmed


@run_async
async def test_s_flips_its_footer_label_between_pause_and_resume(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], keymap={"pause": "x"})  # the label follows a remap too
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(app, pilot)
        assert footer_labels(app)["toggle_pause"] == "Pause polling"
        await pilot.press("x")
        await wait_for(pilot, lambda: footer_labels(app).get("toggle_pause") == "Resume polling")
        assert app.poll.paused
        footer = app.screen.query_one(Footer)
        assert [k.key for k in footer.query(FooterKey) if k.action == "toggle_pause"] == ["x"]
        await pilot.press("x")
        await wait_for(pilot, lambda: footer_labels(app).get("toggle_pause") == "Pause polling")
        assert not app.poll.paused


async def _cursor_on_group(app: App[Any], pilot: Any, path: tuple[str, ...]) -> None:
    tree = app.query_one(ResourceTree)
    node = tree.group_node(path)
    assert node is not None
    tree.move_cursor(node)
    await wait_for(pilot, lambda: tree.selected_group == path)


@run_async
async def test_p_on_a_group_plans_its_drifted_resources(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        await _cursor_on_group(app, pilot, ("terraform.tfstate", "(root module)"))
        assert app.selected_key is None
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plans_shown)
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        # The group shows five resources; only the changed bucket is drifted.
        assert [p.key for p in screen.plans] == [CHANGED]


@run_async
async def test_p_on_a_group_without_drift_says_to_select_a_resource(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await _cursor_on_group(app, pilot, ("terraform.tfstate", "module.network", "aws_subnet"))
        await pilot.press("p")
        await wait_for(pilot, lambda: any("select a resource" in n.message for n in app._notifications))
        assert not isinstance(app.screen, PlanScreen)
        assert any("no drifted resource in terraform.tfstate/module.network/aws_subnet" in n.message
                   for n in app._notifications)
