"""`driftdeck check-config` (also `driftdeck --check-config`): the keys as the dashboard would bind
them with the operator's keymap.toml, and every problem in that keymap. Exit 2 when there is one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from driftdeck.tui import keys
from driftdeck.tui.keys import keymap_path, load_keymap


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "check-config",
        help="show the effective key bindings and report keymap.toml problems (exit 2 on any)",
        description="Reads keymap.toml (the default one in the config folder, or --keymap FILE) as the dashboard "
        "would, prints every binding with its key, then each problem: unknown ids, keys bound twice.",
    )
    parser.add_argument("--keymap", type=Path, help="TOML file of binding id = \"keys\" (default: keymap.toml in the config dir)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = args.keymap or keymap_path()
    keymap = load_keymap(args.keymap)
    print(f"keymap: {path}" + ("" if path.exists() else " (none: defaults)"))
    rows = keys.rows(keymap)
    width = max(len(k) for _, _, k, _ in rows) + 2
    where = None
    for place, ident, shown, description in rows:
        if place != where:
            where = place
            print(f"\n{place}")
        mark = "  (remapped)" if ident in keymap else ""
        print(f"  {shown:<{width}}{description}  [{ident}]{mark}")
    problems = keys.keymap_problems(keymap)
    for problem in problems:
        print(f"driftdeck: error: {path}: {problem}", file=sys.stderr)
    return 2 if problems else 0
