"""driftdeck's key bindings, in one table.

The app, the tree, the lists and the plan window build their Textual bindings from this table; the
help screen, the README's "Keys" section and `driftdeck check-config` read the same table with the
operator's keymap.toml applied, so what they say is what the keys do.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding
from textual.keys import _normalize_key_list, format_key

from driftdeck.core.errors import InputError

# Where a key works. The dashboard's keys and the list keys share one keyboard (the focused list's
# keys win), so a key used twice across them is a clash; each modal window has its own keys.
DASHBOARD = "dashboard"
LISTS = "tree and lists"
PLAN = "plan window"
WHERE_ORDER = (DASHBOARD, LISTS, PLAN)
SHARED = {DASHBOARD: "keyboard", LISTS: "keyboard", PLAN: "plan"}


@dataclass(frozen=True)
class Key:
    id: str  # the name used in keymap.toml
    keys: str  # Textual key names, comma separated (the defaults)
    action: str
    description: str
    where: str = DASHBOARD
    show: bool = True  # in the footer
    remappable: bool = True  # False: Textual's own keys, listed so the help is complete
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.description, show=self.show, id=self.id, priority=self.priority)


KEYS: tuple[Key, ...] = (
    Key("help", "question_mark", "help", "Help"),
    Key("filter", "slash", "filter", "Filter"),
    Key("drifted_only", "d", "toggle_drifted", "Drifted only"),
    Key("rescan", "r", "rescan", "Rescan"),
    Key("pause", "s", "toggle_pause", "Pause polling"),
    Key("verify", "v", "verify", "Verify chain"),
    Key("raw", "y", "toggle_raw", "Raw JSON"),
    Key("audit_scope", "a", "toggle_audit_scope", "Audit: all/this"),
    Key("audit_panel", "l", "toggle_audit_panel", "Audit panel"),
    Key("audit_checkpoints", "c", "toggle_audit_checkpoints", "Audit: show/hide checkpoints", show=False),
    Key("zoom", "z", "toggle_zoom", "Zoom: detail pane only / all panes", show=False),
    Key("plan", "p", "plan", "Plan"),
    Key("note", "n", "note", "Note"),
    Key("history", "h", "history", "History: the estate over time", show=False),
    Key("timeline", "t", "timeline", "Timeline: this resource over time", show=False),
    Key("quit", "q", "quit", "Quit"),
    Key("back", "escape", "leave", "Back to the tree; clear the filter", show=False),
    Key("focus_next", "tab", "app.focus_next", "Next pane", show=False, remappable=False),
    Key("command_palette", "ctrl+p", "command_palette", "Command palette", show=False, remappable=False),
    Key("drill_in", "enter", "drill_in", "Open the selection in the detail pane", LISTS, show=False),
    Key("nav_down", "j", "nav_down", "Down one line", LISTS, show=False),
    Key("nav_up", "k", "nav_up", "Up one line", LISTS, show=False),
    Key("nav_top", "g", "nav_top", "First line", LISTS, show=False),
    Key("nav_bottom", "G", "nav_bottom", "Last line", LISTS, show=False),
    Key("nav_half_down", "ctrl+d", "nav_half_down", "Half a page down", LISTS, show=False),
    Key("nav_half_up", "ctrl+u", "nav_half_up", "Half a page up", LISTS, show=False),
    Key("plan_close", "escape,q", "close", "Close", PLAN),
    Key("plan_prev_direction", "left", "switch_direction(-1)", "Previous direction", PLAN, show=False, priority=True),
    Key("plan_next_direction", "right", "switch_direction(1)", "Next direction", PLAN, priority=True),
    Key("plan_copy", "c", "copy", "Copy", PLAN),
    Key("plan_save", "s", "save", "Save", PLAN),
    Key("plan_apply", "a", "apply", "Apply revert…", PLAN),
)
BY_ID: dict[str, Key] = {k.id: k for k in KEYS}
# Footer labels that follow the app's state: binding id -> the label while the state is on.
STATE_LABELS = {"pause": "Resume polling"}  # while polling is paused, `s` resumes it
# Keys Textual itself binds on every screen: remapping one of ours onto them would silently lose it.
# Key -> (Textual's action, what it does).
TEXTUAL_KEYS = {
    "tab": ("app.focus_next", "next pane"),
    "shift+tab": ("app.focus_previous", "previous pane"),
    "ctrl+c": ("screen.copy_text", "copy"),
    "ctrl+q": ("quit", "quit"),
}

NAV_IDS = ("nav_down", "nav_up", "nav_top", "nav_bottom", "nav_half_down", "nav_half_up")


def bindings(*ids: str, where: str | None = None) -> list[Binding]:
    """Textual bindings for the given ids (or every remappable key of `where`), in table order."""
    chosen = [BY_ID[i] for i in ids] if ids else [k for k in KEYS if k.where == where and k.remappable]
    return [k.binding() for k in chosen]


# Spelled out where Textual's footer glyph would be cryptic in a help text.
LABELS = {"enter": "enter"}


def key_label(keys: str) -> str:
    """How a comma-separated key string is shown (footer, help, README): `?`, `/`, `esc`, `ctrl+d`, `G`."""
    labels = []
    for key in _normalize_key_list(keys).split(","):
        *modifiers, name = key.split("+") if key != "plus" else [key]
        labels.append("+".join([*modifiers, LABELS.get(name) or format_key(name)]))
    return ", ".join(dict.fromkeys(labels))


def effective_keys(keymap: Mapping[str, str]) -> dict[str, str]:
    """Binding id -> keys after the operator's remaps (only known, remappable ids are applied)."""
    out = {}
    for k in KEYS:
        override = keymap.get(k.id)
        out[k.id] = _normalize_key_list(override) if override and k.remappable else k.keys
    return out


def keymap_problems(keymap: Mapping[str, str]) -> list[str]:
    """What in a keymap would be ignored or would leave a binding without its key, one line each."""
    problems: list[str] = []
    for ident, keys in keymap.items():
        spec = BY_ID.get(ident)
        if spec is None:
            close = difflib.get_close_matches(ident, BY_ID, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f"; known ids: {', '.join(sorted(k.id for k in KEYS if k.remappable))}"
            problems.append(f"unknown binding id '{ident}'{hint}")
        elif not spec.remappable:
            problems.append(f"'{ident}' is Textual's own key and cannot be remapped")
        elif not keys.strip(" ,"):
            problems.append(f"'{ident}' is given no key: it could not be used at all")
    effective = effective_keys(keymap)
    owners: dict[tuple[str, str], list[str]] = {}
    for k in KEYS:
        for key in effective[k.id].split(","):
            owners.setdefault((SHARED[k.where], key.strip()), []).append(k.id)
    for (_keyboard, key), ids in owners.items():
        if key and len(ids) > 1 and any(i in keymap for i in ids):
            problems.append(f"key '{key_label(key)}' is bound to both {' and '.join(ids)}: only one of them would work")
        action, meaning = TEXTUAL_KEYS.get(key, ("", ""))
        if action and len(ids) == 1 and any(i in keymap and BY_ID[i].action != action for i in ids):
            problems.append(f"key '{key_label(key)}' is Textual's {meaning} key: {ids[0]} would not get it")
    return problems


def rows(keymap: Mapping[str, str], *, where: Iterable[str] = WHERE_ORDER) -> list[tuple[str, str, str, str]]:
    """(where, id, keys as shown, description) for each binding, remaps applied, in table order."""
    effective = effective_keys(keymap)
    wanted = tuple(where)
    ordered = sorted((k for k in KEYS if k.where in wanted), key=lambda k: wanted.index(k.where))
    return [(k.where, k.id, key_label(effective[k.id]), k.description) for k in ordered]


def keymap_path() -> Path:
    """The default keymap: keymap.toml in the folder the audit key uses ($DRIFTDECK_CONFIG_DIR, else the platform's)."""
    import os

    import platformdirs

    folder = os.environ.get("DRIFTDECK_CONFIG_DIR") or platformdirs.user_config_dir("driftdeck")
    return Path(folder) / "keymap.toml"


def load_keymap(path: Path | None) -> dict[str, str]:
    """Binding id -> keys, from `path` or the user's config dir; InputError names a bad file.

    Unknown ids and clashes are not errors here: the dashboard warns about them
    (keymap_problems) and `driftdeck check-config` lists them.
    """
    if path is None:
        path = keymap_path()
        if not path.exists():
            return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read keymap: {exc.strerror}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"keymap is not valid TOML: {exc}", file=str(path)) from None
    table = doc.get("keys", doc)
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise InputError(f"keymap values must be strings of keys (e.g. rescan = \"ctrl+r\"): {', '.join(bad)}", file=str(path))
    return dict(table)


README_BEGIN = "<!-- keys:begin (generated from tui/keys.py; tests/tui/test_keys.py keeps it in step) -->"
README_END = "<!-- keys:end -->"


def readme_section(keymap: Mapping[str, str] | None = None) -> str:
    """The README's key table (default keys), between its markers."""
    lines = [README_BEGIN, "", "| where | key | action | id (keymap.toml) |", "| --- | --- | --- | --- |"]
    for where, ident, keys, description in rows(keymap or {}):
        shown = " ".join(f"`{k.strip()}`" for k in keys.split(", "))
        lines.append(f"| {where} | {shown} | {description} | {ident if BY_ID[ident].remappable else '—'} |")
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme(path: Path) -> bool:
    """Rewrite the generated section of `path` in place; True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    new = text[:start] + readme_section() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # python -m driftdeck.tui.keys README.md
    import sys

    print("updated" if update_readme(Path(sys.argv[1])) else "already in step")
