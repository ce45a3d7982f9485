"""k9s / lazygit movement keys (j/k, g/G, ctrl+d/ctrl+u) for the tree, the lists and the text panes.

The keys come from driftdeck.tui.keys (ids nav_*), so keymap.toml remaps them everywhere at once.
A widget lists `*NAV_BINDINGS` in its BINDINGS and mixes in one of the classes below.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Tree

from driftdeck.tui.keys import NAV_IDS, bindings

NAV_BINDINGS: list[Binding] = bindings(*NAV_IDS)


def _half_page(widget: Widget) -> int:
    return max(1, widget.scrollable_content_region.height // 2)


class CursorNavigation:
    """For widgets with a line cursor: the movement keys move the cursor (the view follows it)."""

    def _cursor_line(self) -> int:
        raise NotImplementedError

    def _line_count(self) -> int:
        raise NotImplementedError

    def _move_to_line(self, line: int) -> None:
        raise NotImplementedError

    def _go(self, line: int) -> None:
        count = self._line_count()
        if count:
            self._move_to_line(max(0, min(line, count - 1)))

    def action_nav_down(self) -> None:
        self._go(self._cursor_line() + 1)

    def action_nav_up(self) -> None:
        self._go(self._cursor_line() - 1)

    def action_nav_top(self) -> None:
        self._go(0)

    def action_nav_bottom(self) -> None:
        self._go(self._line_count() - 1)

    def action_nav_half_down(self) -> None:
        self._go(self._cursor_line() + _half_page(self))  # type: ignore[arg-type]

    def action_nav_half_up(self) -> None:
        self._go(self._cursor_line() - _half_page(self))  # type: ignore[arg-type]


class TreeNavigation(CursorNavigation):
    """Mix into a Tree subclass."""

    def _cursor_line(self) -> int:
        return max(0, self._tree().cursor_line)

    def _line_count(self) -> int:
        return self._tree().last_line + 1

    def _move_to_line(self, line: int) -> None:
        self._tree().cursor_line = line

    def _tree(self) -> Tree[Any]:
        assert isinstance(self, Tree)
        return self


class TableNavigation(CursorNavigation):
    """Mix into a DataTable subclass."""

    def _cursor_line(self) -> int:
        return max(0, self._table().cursor_row)

    def _line_count(self) -> int:
        return self._table().row_count

    def _move_to_line(self, line: int) -> None:
        self._table().move_cursor(row=line, animate=False)

    def _table(self) -> DataTable[Any]:
        assert isinstance(self, DataTable)
        return self


class ScrollNavigation:
    """For scrolling text (detail pane, help): the movement keys scroll the view."""

    def action_nav_down(self) -> None:
        self._widget().scroll_relative(y=1, animate=False)

    def action_nav_up(self) -> None:
        self._widget().scroll_relative(y=-1, animate=False)

    def action_nav_top(self) -> None:
        self._widget().scroll_home(animate=False)

    def action_nav_bottom(self) -> None:
        self._widget().scroll_end(animate=False)

    def action_nav_half_down(self) -> None:
        widget = self._widget()
        widget.scroll_relative(y=_half_page(widget), animate=False)

    def action_nav_half_up(self) -> None:
        widget = self._widget()
        widget.scroll_relative(y=-_half_page(widget), animate=False)

    def _widget(self) -> Widget:
        assert isinstance(self, Widget)
        return self
