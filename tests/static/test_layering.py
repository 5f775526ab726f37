"""The import directions of DESIGN.md hold: the contracts in pyproject.toml ([tool.importlinter]),
checked by import-linter, and no module of lab/ imports another one by a string."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)
_LOADERS = {"import_module", "import_string", "__import__", "find_spec", "import_object"}


def test_lab_imports_only_in_the_allowed_directions() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LINT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _loads_lab_by_name(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    first = call.args[0] if call.args else None
    return (
        name in _LOADERS
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value.split(".")[0].split(":")[0] == "lab"
    )


def test_no_module_imports_the_lab_by_a_string() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "lab").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and _loads_lab_by_name(node)
    ]
    assert not found, f"import lab modules with an import statement: {found}"
