"""The key table: k9s/lazygit movement keys, remaps that the footer and help follow, keymap problems
reported (at start-up and by `driftdeck check-config`), and the README's "Keys" section in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from repo_paths import REPO
from sample_reports import drifted_estate
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey
from tui_helpers import make_app, run_async, settle, wait_for

from driftdeck.tui import keys
from driftdeck.tui.audit_feed import AuditEvent, MemoryFeed
from driftdeck.tui.cli import main
from driftdeck.tui.screens.help import HelpScreen
from driftdeck.tui.widgets.detail import DetailPane
from driftdeck.tui.widgets.resource_tree import ResourceTree

README = REPO / "README.md"
SIZES = [(80, 24), (120, 35)]


def _footer(app: Any) -> dict[str, str]:
    """Description -> key as the footer shows it."""
    return {fk.description: fk.key_display for fk in app.screen.query(FooterKey)}


def _feed(n: int) -> MemoryFeed:
    return MemoryFeed([AuditEvent(i, f"2026-01-01T11:{i:02d}:00Z", "operator.note", "ops", {"tool": "driftdeck"},
                                  {"note": f"note {i}"}) for i in range(1, n + 1)])


@pytest.mark.parametrize("size", SIZES)
def test_vim_keys_move_in_the_tree(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()])
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            tree = app.query_one(ResourceTree)
            assert app.focused is tree
            await pilot.press("g")
            await wait_for(pilot, lambda: tree.cursor_line == 0)
            await pilot.press("j", "j")
            await wait_for(pilot, lambda: tree.cursor_line == 2)
            await pilot.press("k")
            await wait_for(pilot, lambda: tree.cursor_line == 1)
            await pilot.press("G")
            await wait_for(pilot, lambda: tree.cursor_line == tree.last_line)
            assert tree.last_line > 10
            await pilot.press("ctrl+u")
            half = tree.scrollable_content_region.height // 2
            await wait_for(pilot, lambda: tree.cursor_line == tree.last_line - half)
            await pilot.press("ctrl+d")
            await wait_for(pilot, lambda: tree.cursor_line == tree.last_line)
            await pilot.press("j")  # past the end: stays on the last line
            await pilot.pause()
            assert tree.cursor_line == tree.last_line
            # The detail pane follows the cursor like the arrows do.
            await pilot.press("g", "j", "j", "j")
            await wait_for(pilot, lambda: app.selected_key is not None)
            assert app.query_one(DetailPane).result is not None

    body()


@pytest.mark.parametrize("size", SIZES)
def test_vim_keys_move_in_the_audit_list_and_scroll_the_detail(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        app = make_app(tmp_path, [drifted_estate()], feed=_feed(40), record_audit=False)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await pilot.press("a")  # all events, not just the selection's
            await settle(app, pilot)
            if not app.audit_panel_visible:
                await pilot.press("l")
                await pilot.pause()
            table = app.query_one("#audit-events", DataTable)
            await wait_for(pilot, lambda: table.row_count == 40)
            table.focus()
            await pilot.pause()
            await pilot.press("j", "j", "j")
            await wait_for(pilot, lambda: table.cursor_row == 3)
            await pilot.press("k")
            await wait_for(pilot, lambda: table.cursor_row == 2)
            await pilot.press("G")
            await wait_for(pilot, lambda: table.cursor_row == 39)
            await pilot.press("g")
            await wait_for(pilot, lambda: table.cursor_row == 0)
            await pilot.press("ctrl+d")
            await wait_for(pilot, lambda: table.cursor_row == max(1, table.scrollable_content_region.height // 2))
            await settle(app, pilot)
            # The detail pane scrolls with the same keys.
            detail = app.query_one(DetailPane)
            detail.focus()
            await pilot.pause()
            if detail.max_scroll_y:
                await pilot.press("G")
                await wait_for(pilot, lambda: detail.scroll_y == detail.max_scroll_y)
                await pilot.press("k")
                await wait_for(pilot, lambda: detail.scroll_y == detail.max_scroll_y - 1)
                await pilot.press("g")
                await wait_for(pilot, lambda: detail.scroll_y == 0)

    body()


@pytest.mark.parametrize("size", SIZES)
def test_footer_and_help_follow_remaps(tmp_path: Path, size: tuple[int, int]) -> None:
    @run_async
    async def body() -> None:
        keymap = {"help": "f1", "rescan": "ctrl+r", "nav_down": "ctrl+n"}
        app = make_app(tmp_path, [drifted_estate()], keymap=keymap)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            footer = _footer(app)
            assert footer["Help"] == "f1" and footer["Rescan"] == "ctrl+r"
            assert not [n for n in app._notifications if n.title == "keymap.toml"]  # a clean keymap: no warning
            tree = app.query_one(ResourceTree)
            line = tree.cursor_line
            await pilot.press("j")  # remapped away
            await pilot.pause()
            assert tree.cursor_line == line
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: tree.cursor_line == line + 1)
            await pilot.press("question_mark")  # remapped away: no help
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f1")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            rows = {ident: shown for _, ident, shown, _ in app.screen.rows}  # type: ignore[attr-defined]
            assert rows["help"] == "f1" and rows["rescan"] == "ctrl+r" and rows["nav_down"] == "ctrl+n"
            assert rows["filter"] == "/" and rows["nav_up"] == "k"
            text = str(app.screen.query_one("#help-box Static").render())
            assert "ctrl+r" in text and "keymap.toml:" not in text
            assert "ctrl+n k g G" in str(app.screen.query_one("#help-box").border_subtitle)

    body()


@run_async
async def test_keymap_problems_are_warned_at_start_up_and_shown_in_help(tmp_path: Path) -> None:
    app = make_app(tmp_path, [drifted_estate()], keymap={"rescna": "x", "rescan": "d"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        toasts = [n.message for n in app._notifications if n.title == "keymap.toml"]
        assert any("unknown binding id 'rescna' (did you mean rescan?)" in t for t in toasts)
        assert any("'d' is bound to both drifted_only and rescan" in t for t in toasts)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-box Static").render())
        assert "keymap.toml: unknown binding id 'rescna'" in text


def test_keymap_problems() -> None:
    assert keys.keymap_problems({}) == []
    assert keys.keymap_problems({"rescan": "ctrl+r", "quit": "q,ctrl+q", "help": "?"}) == []
    assert keys.keymap_problems({"plan_copy": "y"}) == []  # the plan window has its own keyboard
    assert keys.keymap_problems({"nav_top": "home"}) == []
    (unknown,) = keys.keymap_problems({"zzz": "x"})
    assert "unknown binding id 'zzz'; known ids:" in unknown and "rescan" in unknown
    (clash,) = keys.keymap_problems({"nav_down": "r"})  # a list key over a dashboard key
    assert "'r' is bound to both rescan and nav_down" in clash
    (both,) = keys.keymap_problems({"rescan": "x", "pause": "x"})
    assert "'x' is bound to both rescan and pause" in both
    assert keys.keymap_problems({"quit": ""}) == ["'quit' is given no key: it could not be used at all"]
    assert keys.keymap_problems({"focus_next": "n"})[0] == "'focus_next' is Textual's own key and cannot be remapped"
    (tab,) = keys.keymap_problems({"rescan": "tab"})
    assert "'tab' is bound to both rescan and focus_next" in tab


def test_check_config_lists_keys_and_exits_2_on_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "keymap.toml"
    good.write_text('rescan = "ctrl+r"\n')
    assert main(["check-config", "--keymap", str(good)]) == 0
    out = capsys.readouterr().out
    assert "ctrl+r" in out and "[rescan]  (remapped)" in out and "[nav_down]" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[keys]\nrescna = "x"\nrescan = "d"\n')
    assert main(["--check-config", "--keymap", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith(f"driftdeck: error: {bad}: ") for line in err)


def test_check_config_reads_the_default_keymap(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTDECK_CONFIG_DIR", str(tmp_path))
    assert main(["check-config"]) == 0
    assert "(none: defaults)" in capsys.readouterr().out
    (tmp_path / "keymap.toml").write_text('pause = "space"\n')
    assert main(["check-config"]) == 0
    assert "space" in capsys.readouterr().out


def test_readme_keys_section_is_generated_from_the_key_table() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(keys.README_BEGIN), text.index(keys.README_END) + len(keys.README_END)
    assert text[start:end] == keys.readme_section(), "regenerate: python -m driftdeck.tui.keys README.md"
    for row in keys.KEYS:
        assert f"| {row.description} |" in text
    assert "who:" in text  # the filter the help documents
