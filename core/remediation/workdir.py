"""Where a resource's Terraform configuration is, and how a plan's commands and patches name it.

Shared by the planner and the forget/recreate directions (which the planner imports), so it lives
below both: commands run from the workspace, paths are shown relative to it.
"""

from __future__ import annotations

from pathlib import Path

from driftdeck.core.model import ResourceResult
from driftdeck.core.text import shell_quote


def config_root(result: ResourceResult, workspace: Path) -> Path:
    """The Terraform root module directory for `result`: beside its local state file, else the workspace."""
    base = workspace if workspace.is_dir() else workspace.parent
    source = result.source
    if source is not None and source.state and not source.state.startswith("s3://"):
        state_dir = Path(source.state).parent
        if not state_dir.is_absolute():
            state_dir = (Path.cwd() / state_dir).resolve()
        if any(state_dir.glob("*.tf")):
            return state_dir
    return base


def chdir_flag(root: Path, workspace: Path) -> str:
    """`-chdir=DIR ` when the root module is not the workspace itself (commands run from the workspace)."""
    base = workspace if workspace.is_dir() else workspace.parent
    try:
        rel = root.resolve().relative_to(base.resolve())
    except ValueError:
        return f"-chdir={shell_quote(str(root))} "
    return "" if str(rel) == "." else f"-chdir={shell_quote(rel.as_posix())} "


def shown_path(path: Path, workspace: Path) -> str:
    """`path` as a plan shows it: relative to the workspace when inside it, else as given."""
    base = workspace if workspace.is_dir() else workspace.parent
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
