"""The `driftdeck` command line: the TUI by default, headless subcommands for CI."""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from driftdeck.core.errors import DriftdeckError
from driftdeck.core.text import printable

# Each module in driftdeck.tui.commands exposes `register(subparsers)`; the parser it adds carries
# `func=callable(args) -> int` as its default.
COMMAND_MODULES: tuple[str, ...] = ("scan", "plan", "tui", "demo", "audit", "watch", "check_config", "history")
COMMANDS: dict[str, str] = {name.replace("_", "-"): name for name in COMMAND_MODULES}  # command -> module


USAGE = "driftdeck [PATH] [options]     open the live dashboard on PATH (default: .; options: driftdeck tui --help)\n" \
        "       driftdeck COMMAND [options]    (driftdeck COMMAND --help)"


class UsageParser(argparse.ArgumentParser):
    """argparse with usage errors as one line naming the command (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {printable(message)} (see {self.prog} --help)\n")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("driftdeck")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (for a known subcommand) one that imports just that command's module:
    every command pulls in its own engine parts, and a CI scan should not pay for the TUI's."""
    parser = UsageParser(
        prog="driftdeck",
        usage=USAGE,
        description="Where the cloud no longer matches the code, who made it so, and what to do about it. "
        "With no COMMAND, `driftdeck [PATH]` opens the live dashboard on the IaC under PATH (default: the "
        "current folder); it is `driftdeck tui [PATH]`.",
    )
    parser.add_argument("--version", action="version", version=f"driftdeck {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="driftdeck")
    for name in (only,) if only else COMMAND_MODULES:
        importlib.import_module(f"driftdeck.tui.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--check-config"]:
        args_list[0] = "check-config"
    # `driftdeck [PATH]` (no subcommand) opens the TUI on PATH.
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        unknown = unknown_command(args_list[0]) if args_list else None
        if unknown:
            print(f"driftdeck: error: {unknown}", file=sys.stderr)
            return 2
        args_list = ["tui", *args_list]
    parser = build_parser(COMMANDS.get(args_list[0]))
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args))
    except DriftdeckError as exc:
        print(f"driftdeck: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `driftdeck audit log | head`: the reader went away; that is not an error.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - a crash must never exit 1 (drift) or dump a bare traceback
        return _report_crash(args, exc)


def unknown_command(word: str) -> str | None:
    """Why `driftdeck WORD` is neither a command nor a path, or None when it may be a PATH.

    An existing path always wins (a folder may be named like a command); a word that does not exist
    and has no path separator or dot is taken for a mistyped command, not reported as a missing path.
    """
    if Path(word).exists() or any(c in word for c in "/\\.~") or not word:
        return None
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"commands: {', '.join(COMMANDS)}; or an existing PATH"
    return f"unknown command '{printable(word)}' ({hint})"


def _report_crash(args: argparse.Namespace, exc: Exception) -> int:
    """One line naming the command and the failure, the traceback only on request; exit 2."""
    import os
    import traceback

    has_flag = hasattr(args, "debug")
    if getattr(args, "debug", False) or os.environ.get("DRIFTDECK_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    hint = "run again with --debug" if has_flag else "set DRIFTDECK_DEBUG=1"
    print(f"driftdeck: error: {args.command} failed unexpectedly: {type(exc).__name__}: {printable(str(exc))} "
          f"({hint} for the traceback)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
