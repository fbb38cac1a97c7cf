"""The view Allure is built from follows the verdict: each scenario once under each item it proves, with its status
for that item; its counts are the ones the banner states; a scenario opens on its stories and diagrams."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from reporting.results import load_scenarios
from reporting.summary import build_summary
from reporting.tidy import BLAME_LABEL, allure_view, view_entries
from tests.reporting.results_factory import write_result

FEE = ("support.drivers.waiting.Decided: Why (product defect, invoices item 12): the customer was credited 99.00 EUR, the "
       "completed invoice's price_amount 100.00 EUR less Cryptopay's fee 1.00 EUR. Fix: credit price_amount")
OUTAGE = "MerchantError: Why (environment): the merchant did not answer. Fix: bring it back up"
GIVEN_FAILED = [("Given a new customer", "passed"), ("And the customer's deposit has been completed and credited",
                                                      "failed"), ("Then the merchant acknowledged every notification",
                                                                  "skipped")]


def _results(tmp_path: Path) -> tuple[Path, dict]:
    results = tmp_path / "results"
    write_result(results, "covers everything", "passed", list(range(1, 15)))
    write_result(results, "resent completed", "failed", [13], steps=GIVEN_FAILED, message=FEE)
    write_result(results, "merchant gone", "failed", [10], message=OUTAGE)
    return results, build_summary(load_scenarios(results), {})


def _entries(entries: list[dict], item: str) -> list[tuple[str, str, str]]:
    """(name, status, blame) of the entries filed under one item ("Invoices item 12")."""
    filed = []
    for entry in entries:
        labels = {label["name"]: label["value"] for label in entry["labels"]}
        if labels.get("epic", "").startswith(item):
            filed.append((entry["name"], entry["status"], labels.get(BLAME_LABEL, "")))
    return sorted(filed)


def test_a_failure_is_filed_under_the_item_it_fails_and_its_other_items_hold_nothing_red(tmp_path: Path) -> None:
    results, summary = _results(tmp_path)
    entries = view_entries(results, summary)
    assert _entries(entries, "Invoices item 12") == [("covers everything", "passed", ""),
                                                      ("resent completed", "failed", "product defect")]
    assert _entries(entries, "Invoices item 13") == [("covers everything", "passed", ""),
                                                      ("resent completed", "skipped", "")]  # not reached
    assert _entries(entries, "Invoices item 10") == [("covers everything", "passed", ""),
                                                      ("merchant gone", "broken", "environment")]  # not proven
    # Hand-written results carry no uuid: every entry still has a file of its own.
    assert len({entry["uuid"] for entry in entries}) == len(entries) == 14 + 2 + 1


def test_the_views_counts_are_the_ones_the_banner_states(tmp_path: Path) -> None:
    results, summary = _results(tmp_path)
    view = allure_view(results, summary, tmp_path / "view")
    statuses = [json.loads(p.read_text())["status"] for p in view.glob("*-result.json")]
    figures = summary["evidence_entries"]
    assert (len(statuses), statuses.count("passed"), statuses.count("failed"), statuses.count("broken"),
            statuses.count("skipped")) == (figures["entries"], figures["passed"], figures["failed"],
                                           figures["not proven"], figures["not run"]) == (17, 14, 1, 1, 1)


def test_a_scenario_opens_on_its_story_and_diagram_as_inert_html(tmp_path: Path) -> None:
    results = tmp_path / "results"
    path = write_result(results, "paid in full", "passed", [12])
    (results / "line-attachment.txt").write_text("Asked 100.00 EUR <script>alert(1)</script> → credited", "utf-8")
    (results / "svg-attachment.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>', "utf-8")
    data = json.loads(path.read_text())
    data["description"] = "Customers are credited <b>once</b>"
    data["attachments"] = [{"name": "Deposit 2fc0558c in one line", "source": "line-attachment.txt"},
                           {"name": "Deposit 2fc0558c: sequence of events", "source": "svg-attachment.svg"},
                           {"name": "Deposit 2fc0558c: sequence of events", "source": "../outside.svg"}]
    path.write_text(json.dumps(data))
    entry = view_entries(results, build_summary(load_scenarios(results), {}))[0]
    page = entry["descriptionHtml"]
    assert page.startswith("<p>Customers are credited &lt;b&gt;once&lt;/b&gt;</p><p><b>Deposit 2fc0558c</b>: Asked")
    assert "&lt;script&gt;" in page and "<script>" not in page
    image = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>').decode()
    assert page.count("<img ") == 1 and f'src="data:image/svg+xml;base64,{image}"' in page  # nothing from outside
