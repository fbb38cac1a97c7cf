"""The run's last lines in the terminal: the checklist with first reasons, and what a subset run covered."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from reporting.results import load_scenarios
from reporting.summary import build_summary
from support.plugins.evidence_build import checklist_lines, rerun_words, subset_words
from support.plugins.scenario_lines import scenario_line
from tests.reporting.results_factory import write_result


def _summary(tmp_path: Path, run_info: dict) -> dict:
    write_result(tmp_path, "covers everything", "passed", list(range(1, 15)))
    write_result(tmp_path, "resend credits twice", "failed", [13],
                 message="Why (product defect): 2 credits for one invoice. Fix: a unique constraint")
    return build_summary(load_scenarios(tmp_path), run_info)


def test_each_item_has_a_row_and_a_failing_one_its_first_reason(tmp_path: Path) -> None:
    lines = checklist_lines(_summary(tmp_path, {}))
    assert lines[0] == "Invoices: NOT READY (13 of 14 items pass)"
    assert len(lines) == 17 and lines[1] == "  Item 01  PASS"
    assert lines[13].startswith("  Item 13  FAIL     Why (product defect): 2 credits")
    assert lines[13].endswith("(in: resend credits twice)")
    assert lines[15:] == ["Channels: NOT INTEGRATED: not integrated (the run recorded the invoice checklist only)",
                          "Payouts: NOT INTEGRATED: not integrated (the run recorded the invoice checklist only)"]


def test_a_subset_run_names_the_items_it_covered_and_is_no_certification(tmp_path: Path) -> None:
    write_result(tmp_path, "resent once", "passed", [13])
    write_result(tmp_path, "not selected", "skipped", [4, 12],
                 message="deselected by this run's selection (-m 'invoices_13')")
    summary = build_summary(load_scenarios(tmp_path), {"selection": "-m 'invoices_13'"})
    assert subset_words(summary) == ("subset run (-m 'invoices_13'): covered items invoices 13; a subset is not a "
                                     "certification, run without -m, -k or --lf for one")
    assert checklist_lines(summary)[-3] == "  Items 4, 12: NOT RUN (deselected by -m 'invoices_13')"


def _failed(message: str) -> pytest.TestReport:
    crash = SimpleNamespace(reprcrash=SimpleNamespace(message=message))
    return pytest.TestReport("steps/test_features.py::test_paid", ("", 0, ""), {"invoices": 1, "invoices_12": 1},
                             "failed", crash, "call", user_properties=[("scenario", "A deposit paid in full")])


def test_a_scenario_the_environment_stopped_is_not_called_fail_as_the_run_goes() -> None:
    outage = scenario_line(_failed("MerchantError: Why (environment): the merchant did not answer. Fix: bring it up"))
    misrouted = scenario_line(_failed("Why (configuration): the merchant's callback log shows none. Fix: set it"))
    defect = scenario_line(_failed("Why (product defect, invoices item 12): credited 99.00 EUR. Fix: credit it"))
    assert (outage.word, outage.where) == ("ENV", "invoices item 12") and misrouted.word == "CONF"
    assert (defect.word, defect.where) == ("FAIL", "invoices item 12")
    # The Why and the Fix on lines of their own, without the exception's Python name.
    assert outage.details == ["Why (environment): the merchant did not answer.", "Fix: bring it up"]


def test_readmes_sample_of_the_terminal_is_what_the_terminal_prints() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    sample = readme[readme.index("```\ncollected 71 items"):]
    sample = sample[:sample.index("\n```\n")].splitlines()
    counted = [line for line in sample if line.startswith("[")]
    assert counted and all(re.match(r"^\[\s*\d+/\d+\s+(~\d+[smh]\S* left|done)\] (PASS|FAIL|ENV |CONF)  \S", line)
                           for line in counted), counted
    cache = SimpleNamespace(cache=object())  # pytest's cache plugin is on, as in certify.sh
    assert rerun_words(cache, 2) in sample and rerun_words(SimpleNamespace(cache=None), 2) is None
    assert rerun_words(cache, 1).startswith("re-run the failure: bash scripts/certify.sh --lf")
