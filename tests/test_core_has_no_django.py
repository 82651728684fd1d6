"""The clinical core must stay importable and testable without Django."""

import ast
import pathlib

CORE = pathlib.Path(__file__).resolve().parents[1] / "fusiontrack" / "core"


def _imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_under_core_imports_django():
    offenders = {
        str(path.relative_to(CORE)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in {"django", "ninja"}
        )
        for path in CORE.rglob("*.py")
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"core modules import Django: {offenders}"


def test_core_files_exist_to_be_checked():
    assert len(list(CORE.rglob("*.py"))) >= 2
