"""The product owner's view stays true: docs/checklists.md is what checklists/page.py makes of the features now, every
feature's description names the items it proves in Cryptopay's words, and every item has a scenario."""
from __future__ import annotations

from pathlib import Path

from checklists import all_items
from checklists.page import feature_files, page, parse, preamble, proofs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checklists.md"


def test_the_checklists_page_is_in_sync_with_the_features() -> None:
    assert DOCS.read_text(encoding="utf-8") == page(), (
        "docs/checklists.md is out of date: .venv/bin/python -m checklists.page > docs/checklists.md")


def test_every_feature_names_the_items_it_proves_in_cryptopays_words() -> None:
    wrong = [str(path) for path in feature_files()
             if not parse(path).description.startswith("\n".join(preamble(path)))]
    assert not wrong, f"these features' descriptions do not open with {preamble(Path(wrong[0]))}: {wrong}"


def test_every_item_is_proven_by_a_scenario() -> None:
    found = proofs()
    assert [str(item) for item in all_items() if not found.get(item)] == []


def test_an_outline_is_listed_once_per_example_with_its_values() -> None:
    titles = [proof.scenario for proof in proofs()[next(i for i in all_items() if str(i) == "invoices 1")]]
    assert "A deposit left underpaid and recalculated at the current rate credits the new price" in titles
    assert not any("<" in title for proofs_ in proofs().values() for title in (p.scenario for p in proofs_))
