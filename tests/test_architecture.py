"""The house's floors: imports only point down, and everything lives under `cohort`.

Each package sits on a floor; a module may import from a lower floor or from its own
package, never from a package on its own floor or above. The floors are the ones drawn
in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> (folder in the checkout, floor)
FLOORS: dict[str, tuple[str, int]] = {
    "core": ("core", 1),
    "schemas": ("schemas", 2),
    "matching": ("matching", 2),
    "data_samples": ("data_samples", 2),
    "programme": ("programme", 3),
    "review": ("review", 3),
    "reports": ("reports", 4),
    "flows": ("flows", 5),
    "cli": ("cohort", 6),  # the command line: cohort/cli.py, console.py, __main__.py
}
# Top-level folder names that must never be imported bare (only as cohort.<name>).
BARE = {"core", "schemas", "matching", "data_samples", "programme", "review", "reports", "flows", "sql"}

# Imports known to point the wrong way, with the issue that removes them. Must end empty.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "cohort":
        return None
    if len(parts) == 1 or parts[1] not in FLOORS:  # cohort/'s own modules (cli, console, __version__...)
        return "cli"
    return parts[1]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if node.module == "cohort"]
    return found


def _modules() -> list[tuple[str, Path]]:
    return [(pkg, p) for pkg, (folder, _) in FLOORS.items() for p in sorted((ROOT / folder).glob("*.py"))]


def test_every_package_folder_is_listed():
    listed = {folder for folder, _ in FLOORS.values()}
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks", "sql"}
    assert folders == listed


@pytest.mark.parametrize("pkg,path", _modules(), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_imports_point_down(pkg, path):
    floor = FLOORS[pkg][1]
    rel = str(path.relative_to(ROOT))
    wrong = []
    for module in _imports(path):
        target = _package_of(module)
        if target is None or target == pkg or target == "cli" and module == "cohort":
            continue
        if FLOORS[target][1] >= floor and (rel, target) not in KNOWN_UPWARD:
            wrong.append(module)
    assert not wrong, f"{rel} (floor {floor}) imports from its own floor or above: {wrong}"


def test_known_upward_imports_still_exist():
    """An entry that no longer happens must leave KNOWN_UPWARD, so the list only shrinks."""
    for rel, target in KNOWN_UPWARD:
        assert any(_package_of(m) == target for m in _imports(ROOT / rel)), (rel, target)


@pytest.mark.parametrize("folder", ["cohort", "core", "schemas", "matching", "data_samples", "programme", "review",
                                    "reports", "flows", "tests", "benchmarks"])
def test_no_bare_top_level_imports(folder):
    """Installed, only `cohort` exists: `import matching` works from a checkout and nowhere else."""
    bare = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        bare += [f"{path.relative_to(ROOT)}: {m}" for m in _imports(path) if m.split(".")[0] in BARE]
    assert not bare
