"""The resource tree: source -> module -> type -> resource, coloured by status, updated in place.

Re-colouring only bumps the line cache and repaints; nodes are added or removed one by one when the
set of shown resources changes, so groups never collapse and the cursor stays on its node. Leaves
of a type group are created when the group is first expanded, which keeps big estates fast.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from driftdeck.core.model import ResourceResult, Status
from driftdeck.tui.keys import bindings
from driftdeck.tui.view_model import (
    UNMANAGED_GROUP,
    Filter,
    GroupCounts,
    GroupPath,
    group_path,
    resource_label,
)
from driftdeck.tui.widgets.fit import elide_middle
from driftdeck.tui.widgets.navigation import NAV_BINDINGS, TreeNavigation

GLYPHS: dict[Status, str] = {
    Status.IN_SYNC: "✓",
    Status.CHANGED: "~",
    Status.MISSING: "✗",
    Status.UNMANAGED: "+",
    Status.PENDING: "…",
    Status.UNKNOWN: "?",
}
# Type groups with at most this many members in a small estate start expanded.
AUTO_EXPAND_LIMIT = 300


@dataclass(frozen=True)
class GroupData:
    path: GroupPath

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class LeafData:
    key: str


NodeData = GroupData | LeafData


def _sort_key(path: GroupPath) -> tuple[int, GroupPath]:
    # The unmanaged group always comes last.
    return (1 if path[0] == UNMANAGED_GROUP else 0, path)


class ResourceTree(TreeNavigation, Tree[NodeData]):
    """Tree of scan results; call `show()` with every poll result and filter change."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        *(f"status--{s.value}" for s in Status),
        "group--count",
    }
    BINDINGS: ClassVar[list[BindingType]] = [*bindings("drill_in"), *NAV_BINDINGS]

    class ResourceHighlighted(Message):
        """The cursor moved to a resource (key) or to a group (None)."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    class DrillIn(Message):
        """Enter on a resource: the app moves focus to the detail pane."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, workspace: Path | None = None, *, id: str | None = None) -> None:
        super().__init__("resources", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.workspace = workspace
        self.results: dict[str, ResourceResult] = {}
        self.filter = Filter()
        self.drifted_only = False
        self._group_nodes: dict[GroupPath, TreeNode[NodeData]] = {}
        self._leaf_nodes: dict[str, TreeNode[NodeData]] = {}
        # Visible keys per type group, sorted by label: the model the nodes mirror.
        self._members: dict[GroupPath, list[str]] = {}
        self._counts: dict[GroupPath, GroupCounts] = {}
        self._labels: dict[str, str] = {}
        self._paths: dict[str, GroupPath] = {}  # key -> its type group (stable for a key)
        self._built_once = False
        self.structure_updates = 0  # how many times nodes were added/removed (tests assert on it)

    def on_mount(self) -> None:
        # Never an empty pane: say what is happening until the first scan arrives.
        self._placeholder: TreeNode[NodeData] | None = self.root.add_leaf(Text("scanning…", style="italic"))

    def set_placeholder(self, text: str) -> None:
        """Change what the pane says while it has no results yet (a failed first scan...)."""
        placeholder = getattr(self, "_placeholder", None)
        if placeholder is not None:
            placeholder.set_label(Text(text, style="italic"))

    # ----- public API -------------------------------------------------------------------------
    @property
    def selected_key(self) -> str | None:
        node = self.cursor_node
        if node is not None and isinstance(node.data, LeafData):
            return node.data.key
        return None

    @property
    def selected_group(self) -> GroupPath | None:
        """The group under the cursor (None on a resource or with nothing shown)."""
        node = self.cursor_node
        if node is not None and isinstance(node.data, GroupData):
            return node.data.path
        return None

    def keys_under(self, path: GroupPath) -> list[str]:
        """The resources this group shows (filter and drifted-only applied), in tree order."""
        return [key for group, keys in sorted(self._members.items(), key=lambda item: _sort_key(item[0]))
                if group[:len(path)] == path for key in keys]

    def show(
        self,
        results: Mapping[str, ResourceResult],
        *,
        filter: Filter | None = None,
        drifted_only: bool | None = None,
    ) -> None:
        """Mirror `results` (keyed by ResourceResult.key), applying the filter and the drifted-only toggle."""
        placeholder = getattr(self, "_placeholder", None)
        if placeholder is not None:
            self._placeholder = None
            placeholder.remove()
        previous_keys = self.results.keys()
        view_changed = (filter is not None and filter != self.filter) or (
            drifted_only is not None and drifted_only != self.drifted_only
        )
        self.results = results if isinstance(results, dict) else dict(results)
        if filter is not None:
            self.filter = filter
        if drifted_only is not None:
            self.drifted_only = drifted_only
        paths = self._paths
        for key, r in self.results.items():
            if key not in paths:
                paths[key] = group_path(r, self.workspace)
                self._labels[key] = resource_label(r)
        unfiltered = not self.filter.active and not self.drifted_only
        if unfiltered and not view_changed and self._built_once and previous_keys == self.results.keys():
            # The common poll: same resources, new statuses. Recount and repaint; no node is touched.
            self._counts = self._count(self.results)
            self.repaint()
            return
        visible = self.results if unfiltered else {k: r for k, r in self.results.items() if self._visible(r)}
        members: dict[GroupPath, list[str]] = {}
        for key in visible:
            members.setdefault(paths[key], []).append(key)
        labels = self._labels
        for keys in members.values():
            keys.sort(key=labels.__getitem__)
        self._counts = self._count(visible)
        changed = self._sync_structure(members)
        if changed:
            self.structure_updates += 1
            self._invalidate()
        else:
            self.repaint()
        if not self._built_once:
            self._built_once = True
            self._initial_expand()
            self.call_after_refresh(self._place_initial_cursor)

    def _count(self, visible: Mapping[str, ResourceResult]) -> dict[GroupPath, GroupCounts]:
        """Counts per type group in one pass, then summed up the hierarchy (cheap for big estates)."""
        paths = self._paths
        # One C-level tally of (type group, status) pairs, then folded into per-group counts.
        pairs = Counter([(paths[key], r.status) for key, r in visible.items()])
        by_type: dict[GroupPath, GroupCounts] = {}
        for (path, status), n in pairs.items():
            c = by_type.get(path)
            if c is None:
                c = by_type[path] = GroupCounts()
            c.total += n
            c.by_status[status] += n
        counts = dict(by_type)
        for path, c in by_type.items():
            for depth in range(1, len(path)):
                parent = counts.get(path[:depth])
                if parent is None:
                    parent = counts[path[:depth]] = GroupCounts()
                parent.total += c.total
                parent.by_status.update(c.by_status)
        return counts

    def status_counts(self) -> dict[str, int]:
        """Shown resources per status (summed from the top-level groups, no second pass)."""
        out = {s.value: 0 for s in Status}
        for path, c in self._counts.items():
            if len(path) == 1:
                for status, n in c.by_status.items():
                    out[status.value] += n
        return out

    def repaint(self) -> None:
        """Re-render visible lines (labels are computed from the results at render time)."""
        self._updates += 1
        self.refresh()

    def select_key(self, key: str) -> bool:
        """Move the cursor to a resource, expanding its groups; False when it is not shown."""
        result = self.results.get(key)
        if result is None:
            return False
        path = group_path(result, self.workspace)
        for depth in range(1, len(path) + 1):
            node = self._group_nodes.get(path[:depth])
            if node is None:
                return False
            if not node.is_expanded:
                node.expand()
                self._materialise(path[:depth])
        leaf = self._leaf_nodes.get(key)
        if leaf is None:
            return False
        self._invalidate()
        self.call_after_refresh(self.move_cursor, leaf, animate=False)
        self.move_cursor(leaf, animate=False)
        return True

    def group_node(self, path: GroupPath) -> TreeNode[NodeData] | None:
        return self._group_nodes.get(path)

    def leaf_node(self, key: str) -> TreeNode[NodeData] | None:
        return self._leaf_nodes.get(key)

    # ----- structure ---------------------------------------------------------------------------
    def _visible(self, r: ResourceResult) -> bool:
        if self.drifted_only and not r.status.is_drift:
            return False
        return self.filter.matches(r)

    def _sync_structure(self, members: dict[GroupPath, list[str]]) -> bool:
        changed = False
        wanted_groups: set[GroupPath] = set()
        for path in members:
            for depth in range(1, len(path) + 1):
                wanted_groups.add(path[:depth])
        for path in sorted(set(self._group_nodes) - wanted_groups, key=len):
            node = self._group_nodes.pop(path, None)
            if node is not None:
                self._forget_subtree(path)
                node.remove()
                changed = True
        for path in sorted(wanted_groups - set(self._group_nodes), key=lambda p: (len(p), _sort_key(p))):
            self._add_group(path)
            changed = True
        old_members = self._members
        self._members = members
        for path, keys in members.items():
            node = self._group_nodes[path]
            if not node.children and not node.is_expanded:
                continue  # not materialised yet: leaves come on first expand
            if not node.children:
                self._materialise_keys(node, keys)
                changed = True
                continue
            if old_members.get(path) == keys:
                continue
            changed |= self._sync_leaves(path, node, keys)
        return changed

    def _add_group(self, path: GroupPath) -> None:
        parent = self.root if len(path) == 1 else self._group_nodes[path[:-1]]
        siblings = sorted(
            (p for p in self._group_nodes if len(p) == len(path) and p[:-1] == path[:-1]), key=_sort_key
        )
        index = bisect.bisect_left([_sort_key(p) for p in siblings], _sort_key(path))
        before = self._group_nodes[siblings[index]] if index < len(siblings) else None
        is_type_group = len(path) == 3 or (path[0] == UNMANAGED_GROUP and len(path) == 2)
        # In a small estate a type group that appears later (new unmanaged type...) opens at once.
        expand = not is_type_group or (self._built_once and len(self.results) <= AUTO_EXPAND_LIMIT)
        node = parent.add(Text(path[-1]), GroupData(path), before=before, expand=expand, allow_expand=True)
        self._group_nodes[path] = node

    def _forget_subtree(self, path: GroupPath) -> None:
        for other in [p for p in self._group_nodes if p[: len(path)] == path]:
            self._group_nodes.pop(other, None)
        for key in [k for k, n in self._leaf_nodes.items() if _under(n, path)]:
            self._leaf_nodes.pop(key, None)

    def _sync_leaves(self, path: GroupPath, node: TreeNode[NodeData], keys: list[str]) -> bool:
        wanted = set(keys)
        present = [c for c in node.children if isinstance(c.data, LeafData)]
        changed = False
        for child in present:
            assert isinstance(child.data, LeafData)
            if child.data.key not in wanted:
                self._leaf_nodes.pop(child.data.key, None)
                child.remove()
                changed = True
        have = {k for k in wanted if k in self._leaf_nodes}
        if len(have) == len(keys):
            return changed
        for i, key in enumerate(keys):
            if key in have:
                continue
            after_key = keys[i - 1] if i else None
            anchor = self._leaf_nodes.get(after_key) if after_key else None
            if anchor is not None:
                leaf = node.add(Text(self._labels[key]), LeafData(key), after=anchor, allow_expand=False)
            else:
                leaf = node.add(Text(self._labels[key]), LeafData(key), before=0, allow_expand=False)
            self._leaf_nodes[key] = leaf
            changed = True
        return changed

    def _materialise(self, path: GroupPath) -> None:
        node = self._group_nodes.get(path)
        keys = self._members.get(path)
        if node is None or keys is None or node.children:
            return
        self._materialise_keys(node, keys)

    def _materialise_keys(self, node: TreeNode[NodeData], keys: list[str]) -> None:
        for key in keys:
            self._leaf_nodes[key] = node.add_leaf(Text(self._labels[key]), LeafData(key))

    def _first_leaf(self) -> TreeNode[NodeData] | None:
        """The first drifted leaf shown (else the first leaf): where an operator wants to start."""
        leaves = [n for n in self._leaf_nodes.values()]
        drifted = [n for n in leaves if isinstance(n.data, LeafData) and self.results[n.data.key].status.is_drift]
        pool = drifted or leaves
        return min(pool, key=lambda n: n.line if n.line >= 0 else 1 << 30) if pool else None

    def _place_initial_cursor(self) -> None:
        if self.cursor_line >= 0 and self.selected_key is not None:
            return
        first = self._first_leaf()
        if first is not None:
            self.move_cursor(first, animate=False)

    def _initial_expand(self) -> None:
        # A small estate opens fully; a big one shows its groups and loads leaves on demand.
        if len(self.results) > AUTO_EXPAND_LIMIT:
            return
        for path, node in self._group_nodes.items():
            if path in self._members:
                self._materialise(path)
                node.expand()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        data = event.node.data
        if isinstance(data, GroupData) and data.path in self._members and not event.node.children:
            self._materialise(data.path)
            self._invalidate()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        data = event.node.data
        self.post_message(self.ResourceHighlighted(data.key if isinstance(data, LeafData) else None))

    def action_drill_in(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if isinstance(node.data, LeafData):
            self.post_message(self.DrillIn(node.data.key))
        else:
            self._toggle_node(node)

    # ----- rendering -----------------------------------------------------------------------------
    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        # Labels are fitted to the pane (render_label); the tree never scrolls sideways.
        return 0

    def _label_room(self, node: TreeNode[NodeData], used: int) -> int:
        """Cells left for a name on `node`'s line after its guides and `used` cells of glyphs and counts."""
        line = node.line
        guides = self._tree_lines[line]._get_guide_width(self.guide_depth, self.show_root) if line >= 0 else 0
        return max(4, self.scrollable_content_region.width - guides - used)

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        data = node.data
        if isinstance(data, LeafData):
            result = self.results.get(data.key)
            status = result.status if result else Status.UNKNOWN
            status_style = self.get_component_rich_style(f"status--{status.value}", partial=True)
            name = _fit_leaf_name(node._label.plain, self.results.get(data.key), self._label_room(node, 2))
            text = Text.assemble((f"{GLYPHS[status]} ", status_style), (name, status_style))
            text.stylize(style)
            return text
        if isinstance(data, GroupData):
            counts = self._counts.get(data.path, GroupCounts())
            worst = self.get_component_rich_style(f"status--{counts.worst.value}", partial=True)
            dim = self.get_component_rich_style("group--count", partial=True)
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            tally: list[tuple[str, Style]] = [(f"  {counts.total}", dim)]
            if counts.drifted:
                changed = self.get_component_rich_style(f"status--{Status.CHANGED.value}", partial=True)
                tally.append((f"  {counts.drifted} drifted", changed))
            used = len(icon) + sum(len(t) for t, _ in tally)
            if self._label_room(node, used) < 12 and counts.drifted:
                tally[-1] = (f" ~{counts.drifted}", tally[-1][1])  # narrow: the count, not the word
                used = len(icon) + sum(len(t) for t, _ in tally)
            name = elide_middle(node._label.plain, self._label_room(node, used))
            text = Text.assemble((icon, base_style), (name, worst + Style(bold=True)), *tally)
            text.stylize(style)
            return text
        return super().render_label(node, base_style, style)


def _fit_leaf_name(label: str, result: ResourceResult | None, room: int) -> str:
    """A leaf's name in `room` cells: first without its type (the group above names it: `…deployer`
    for aws_iam_role.deployer), then shortened in the middle."""
    if len(label) <= room or result is None:
        return elide_middle(label, room)
    prefix = f"{result.type}."
    at = label.find(prefix)
    if at >= 0:
        label = "…" + label[at + len(prefix):]
    return elide_middle(label, room)


def _under(node: TreeNode[NodeData], path: GroupPath) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent.data, GroupData) and parent.data.path == path:
            return True
        parent = parent.parent
    return False
