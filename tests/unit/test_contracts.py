"""The house rules that keep the layout honest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = {
    "obsai_auth",
    "obsai_catalog",
    "obsai_discovery",
    "obsai_query",
    "obsai_gateway",
}


def test_generated_code_is_fresh() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_common_library_never_imports_a_service() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & SERVICE_PACKAGES)
        for path in (ROOT / "libs" / "common" / "src").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_never_import_each_other() -> None:
    offenders = {}
    for package in SERVICE_PACKAGES - {"obsai_gateway"}:
        others = SERVICE_PACKAGES - {package}
        for path in (ROOT / "services" / package.removeprefix("obsai_") / "src").rglob("*.py"):
            if bad := _imported_packages(path) & others:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
