"""The engine must stay free of UI libraries (harlequin-style separation)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "rich")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_ui_libraries() -> None:
    offenders = {
        str(p.relative_to(REPO)): sorted(_imports(p) & set(FORBIDDEN))
        for p in (REPO / "core").rglob("*.py")
        if _imports(p) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_import_linter_contract_holds() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    proc = subprocess.run([lint], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_package_is_listed_in_pyproject() -> None:
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = set()
    for top, dotted in (("core", "driftdeck.core"), ("tui", "driftdeck.tui")):
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top).parts
            on_disk.add(".".join((dotted, *rel)))
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"


def _function_level_imports(path: Path) -> list[tuple[int, int, str]]:
    """(first line, last line, module) of every import of a driftdeck module inside a function body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[tuple[int, int, str]] = set()  # a set: a nested function is walked from each enclosing one
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
                if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("driftdeck")):
                    found.add((node.lineno, end, "." * node.level + (node.module or "")))
                elif isinstance(node, ast.Import):
                    found.update((node.lineno, end, a.name) for a in node.names if a.name.startswith("driftdeck"))
    return sorted(found)


def test_function_level_imports_say_why() -> None:
    """An import inside a function hides a dependency from the module's header (and from
    lint-imports' view of what loads when) and usually papers over an import cycle, which is fixed
    by moving the shared part to the lower module instead. The one good reason is start-up time, as
    measured by bench/import_time.py: such an import says `# deferred: <why> (bench/import_time.py)`
    on one of its lines (a wrapped import carries it on its first or name line)."""
    unexplained = []
    for top in ("core", "tui"):
        for path in sorted((REPO / top).rglob("*.py")):
            lines = path.read_text().splitlines()
            for first, last, module in _function_level_imports(path):
                if not any("# deferred:" in line and "bench/import_time.py" in line for line in lines[first - 1:last]):
                    unexplained.append(f"{path.relative_to(REPO)}:{first} {module}")
    assert unexplained == []
