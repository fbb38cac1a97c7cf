"""Dependencies point one way: reporting/ and checklists/ import nothing of the pytest side, the suite reaches the
emulator package only through the pair builder, and no private name (_x) is imported across packages."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("checklists", "cryptopay_client", "cryptopay_emulator", "reference_merchant", "reporting", "steps",
            "support", "tests", "benchmarks")
PYTEST_SIDE = ("support", "steps", "tests")
EMULATOR_DOOR = "support/targets/pair.py"  # the one place the suite builds an emulator in-process


def python_files(folder: str) -> list[Path]:
    return sorted(path for path in (ROOT / folder).rglob("*.py") if "__pycache__" not in path.parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {module}" for path in python_files(folder)
            for module, _ in imports(path) if top(module) in forbidden]


def test_reporting_imports_nothing_of_the_pytest_side() -> None:
    assert not offenders("reporting", PYTEST_SIDE), offenders("reporting", PYTEST_SIDE)


def test_checklists_import_nothing_of_the_suite() -> None:
    forbidden = tuple(p for p in PACKAGES if p != "checklists")
    assert not offenders("checklists", forbidden), offenders("checklists", forbidden)


def test_the_suite_reaches_the_emulator_only_through_the_pair_builder() -> None:
    found = [line for folder in ("support", "steps") for line in offenders(folder, ("cryptopay_emulator",))
             if not line.startswith(EMULATOR_DOOR)]
    assert not found, found


def test_no_private_name_crosses_a_package() -> None:
    crossing = []
    for folder in PACKAGES:
        for path in python_files(folder):
            own = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
            for module, names in imports(path):
                if top(module) not in PACKAGES or module == own or module.startswith(own + ".") and own:
                    continue
                crossing += [f"{path.relative_to(ROOT)}: from {module} import {name}" for name in names
                             if name.startswith("_") and not name.startswith("__")]
    assert not crossing, crossing


def test_the_checks_see_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import support.domain.deposits\nfrom support.drivers.waiting import _x, wait_until\n"
                      "from .sibling import y\n", encoding="utf-8")
    assert imports(sample) == [("support.domain.deposits", []), ("support.drivers.waiting", ["_x", "wait_until"])]
