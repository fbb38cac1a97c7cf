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
                      "from support.domain.deposits import request_deposit\n", encoding="utf-8")
    assert imported_modules(sample) == ["steps.deposits", "steps.customers", "steps.payments", "support.domain.deposits"]


FEATURES = STEPS.parent / "features"


def _tags(path: Path) -> tuple[set[str], set[str]]:
    """(the Feature's own tags, every tag in the file), without the @."""
    lines = path.read_text(encoding="utf-8").splitlines()
    feature_at = next(n for n, line in enumerate(lines) if line.strip().startswith("Feature:"))
    own = {tag.lstrip("@") for line in lines[:feature_at] for tag in line.split() if tag.startswith("@")}
    every = {tag.lstrip("@") for line in lines for tag in line.split() if tag.startswith("@") and len(tag) > 1}
    return own, every


def test_every_feature_lives_under_its_product_and_carries_its_tag_and_only_its_items():
    from checklists import PRODUCTS, items_of
    features = sorted(FEATURES.rglob("*.feature"))
    assert features, "no feature files found"
    problems = []
    for path in features:
        product = path.relative_to(FEATURES).parts[0]
        own, every = _tags(path)
        if product not in PRODUCTS:
            problems.append(f"{path.relative_to(FEATURES)} is not under features/<product>/ ({', '.join(PRODUCTS)})")
            continue
        if product not in own:
            problems.append(f"{path.relative_to(FEATURES)}: the Feature lacks its product tag @{product}")
        others = [str(item) for item in items_of(every) if item.product != product]
        if others:
            problems.append(f"{path.relative_to(FEATURES)} is tagged with items of another product: {others}")
        if any(tag.startswith("checklist_") for tag in every):
            problems.append(f"{path.relative_to(FEATURES)} still uses checklist_N (now {product}_N)")
    assert not problems, "; ".join(problems)


def then_steps(path: Path) -> list[str]:
    """Every Then step of a feature file (a Then, and the Ands and Buts after it), as written."""
    found, in_then = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        keyword, _, text = line.strip().partition(" ")
        if keyword in ("Given", "When", "Then"):
            in_then = keyword == "Then"
        elif keyword not in ("And", "But"):
            continue
        if in_then:
            found.append(text)
    return found


def test_every_then_step_proves_a_kind_of_thing_its_product_names():
    """A Then that matches none of its product's PROOF_KINDS would prove whatever its scenario is tagged with:
    a step reworded out of its kind would silently prove other items."""
    from checklists import CHECKLISTS
    unmatched = [f"{path.relative_to(FEATURES)}: {text}" for path in sorted(FEATURES.rglob("*.feature"))
                 for text in then_steps(path)
                 if not any(pattern.match(text) for _, pattern, _ in
                            CHECKLISTS[path.relative_to(FEATURES).parts[0]].PROOF_KINDS)]
    assert then_steps(FEATURES / "invoices" / "callbacks" / "forged.feature") == [
        "the merchant refused the notification", "the merchant still records the deposit as new",
        "the customer has been credited nothing"]
    assert not unmatched, unmatched
