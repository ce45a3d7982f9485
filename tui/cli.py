"""The `driftdeck` command line: the TUI by default, headless subcommands for CI."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from driftdeck.core.errors import DriftdeckError

# Each module in driftdeck.tui.commands exposes `register(subparsers)`; the parser it adds carries
# `func=callable(args) -> int` as its default.
COMMAND_MODULES: tuple[str, ...] = ("scan", "plan", "audit", "tui", "demo", "watch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="driftdeck",
        description="Where the cloud no longer matches the code, who made it so, and what to do about it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"driftdeck.tui.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()  # type: ignore[union-attr]
    # `driftdeck [PATH]` with no subcommand opens the TUI on PATH.
    if not args_list or (args_list[0] not in known and not args_list[0].startswith("-")):
        if "tui" in known:
            args_list = ["tui", *args_list]
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except DriftdeckError as exc:
        print(f"driftdeck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
