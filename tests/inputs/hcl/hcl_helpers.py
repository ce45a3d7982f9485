"""Shared helpers for the HCL tests: evaluate one expression, write a small module tree."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from driftdeck.core.inputs.hcl.cache import ParseCache
from driftdeck.core.inputs.hcl.evaluator import Scope, evaluate
from driftdeck.core.inputs.hcl.module import IsolatedContext, Session
from driftdeck.core.inputs.hcl.parse import parse_expression


def ev(source: str, root: Path | None = None, **bindings: Any) -> Any:
    """Evaluate one HCL expression with `bindings` as names in scope."""
    session = Session(root or Path("."), ParseCache(), None)
    return evaluate(parse_expression(source), Scope(IsolatedContext(session, str(root or ".")), bindings))


def write_tree(base: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return base
