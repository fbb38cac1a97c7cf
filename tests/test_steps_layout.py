"""steps/ holds only step definitions: no step module imports another module of steps/, helpers live in support/."""
from __future__ import annotations

import ast
from pathlib import Path

STEPS = Path(__file__).resolve().parent.parent / "steps"


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import inside steps/ is an import of a step module
                names.append("steps." + (node.module or ""))
            elif node.module == "steps":
                names += [f"steps.{alias.name}" for alias in node.names]
            else:
                names.append(node.module or "")
    return names


def test_no_step_module_imports_another():
    offenders = [f"{path.name} imports {name}" for path in sorted(STEPS.glob("*.py"))
                 for name in imported_modules(path) if name == "steps" or name.startswith("steps.")]
    assert not offenders, "step modules import only support/ (move shared helpers there): " + "; ".join(offenders)


def test_the_check_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import steps.deposits\nfrom steps import customers\nfrom .payments import x\n"
                      "from support.deposits import request_deposit\n", encoding="utf-8")
    assert imported_modules(sample) == ["steps.deposits", "steps.customers", "steps.payments", "support.deposits"]
