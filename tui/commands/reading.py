"""The options every scanning command shares for *who reads live state*, and where they come
from: the command line first, then `[scan]` in the configuration file, then the default."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from driftdeck.core.settings import READERS, load_config


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reader", choices=READERS, default=None,
        help="who reads live state: auto (driftdeck's native collector where one exists, the "
        "workspace's Terraform provider for every other type), native, or provider "
        "(default: [scan] reader in the config file, else auto)",
    )
    parser.add_argument(
        "--provider-dir", action="append", default=[], metavar="DIR", type=Path,
        help="also look for Terraform provider binaries in DIR (repeatable; before .terraform/providers, "
        "TF_PLUGIN_CACHE_DIR and the CLI config's mirrors)",
    )
    parser.add_argument("--debug", action="store_true", help="copy the provider's own log lines to stderr")


def reader_settings(args: argparse.Namespace, workspace: Path, config_file: Path | None = None) -> dict[str, Any]:
    """ScanOptions keyword arguments: `reader` and `provider_dirs`."""
    config = load_config(workspace, config_file)
    reader = getattr(args, "reader", None) or config.reader or "auto"
    dirs = [Path(d) for d in getattr(args, "provider_dir", [])] + [Path(d).expanduser() for d in config.provider_dirs]
    return {"reader": reader, "provider_dirs": tuple(dirs)}


def provider_session(args: argparse.Namespace, settings: dict[str, Any]) -> Any:
    """A ProviderSession kept for a whole TUI or watch session (None with --reader native)."""
    if settings["reader"] == "native":
        return None
    from driftdeck.core.live.provider.session import (
        ProviderSession,  # deferred: provider session, not for --reader native (bench/import_time.py)
    )

    return ProviderSession(explicit_dirs=settings["provider_dirs"], debug=bool(getattr(args, "debug", False)))
