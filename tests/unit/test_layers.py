"""The layers of DESIGN.md §2, as the imports must keep them: each package depends only on those below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAY_IMPORT = {
    "events": set(),
    "backend": {"events"},
    "media": {"backend"},  # settings and errors only
    "projections": {"events", "backend"},
    "mobile_api": {"events", "backend", "media", "projections"},
}
"""Written out from DESIGN.md §2's table ("depends on"); the CLI, the composition root, lives in mobile_api."""
OURS = set(MAY_IMPORT)


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported - MAY_IMPORT[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imported := imported_packages(path)) - MAY_IMPORT[package] - {package}
    }
    assert wrong == {}
