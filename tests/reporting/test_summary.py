"""The go-live verdicts from hand-made Allure results: pass, fail, not run, and duplicate results."""
from __future__ import annotations

import json
from pathlib import Path

from reporting.results import load_scenarios
from reporting.run_info import SANDBOX_URL
from reporting.summary import build_summary, render_markdown, write_summary
from tests.reporting.results_factory import write_result

ALL_ITEMS = list(range(1, 15))


def _summary(results: Path, run_info: dict | None = None) -> dict:
    return build_summary(load_scenarios(results), run_info or {})


def _item(summary: dict, number: int) -> dict:
    return next(item for item in summary["items"] if item["item"] == number)


def test_every_item_passing_makes_the_run_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    summary = _summary(tmp_path, {"cryptopay_api_url": SANDBOX_URL})
    assert summary["overall"] == "ready"
    assert [item["verdict"] for item in summary["items"] if item["product"] == "invoices"] == ["pass"] * 14
    assert _item(summary, 12)["title"].startswith("Invoices item 12: Credits the customer")


def test_one_failed_scenario_fails_its_items_and_the_run(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "resend credits twice", "failed", [13], message="AssertionError: balance 200.00")
    summary = _summary(tmp_path)
    assert _item(summary, 13)["verdict"] == "fail"
    assert _item(summary, 12)["verdict"] == "pass"
    assert summary["overall"] == "not ready"
    failed = [row for row in _item(summary, 13)["scenarios"] if row["status"] == "failed"]
    assert failed == [{"name": "resend credits twice", "feature": "A feature", "status": "failed",
                       "message": "AssertionError: balance 200.00", "category": "product defect"}]


def test_broken_counts_as_fail_not_as_pass(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "merchant answers garbage", "broken", [10], message="KeyError: 'status'")
    assert _item(_summary(tmp_path), 10)["verdict"] == "fail"


def test_a_target_that_did_not_answer_leaves_its_items_not_proven_never_failed(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "merchant down", "broken", [10], message="requests.exceptions.ConnectionError: refused")
    summary = _summary(tmp_path)
    assert _item(summary, 10)["verdict"] == "not proven" and _item(summary, 10)["not_proven"] == "environment"
    assert summary["overall"] == "not proven" and not summary["certification"]
    assert summary["headline"].startswith("NOT PROVEN: ENVIRONMENT for invoices on an unrecorded target: item 10 "
                                          "not proven, none failed: requests.exceptions.ConnectionError: refused")


def test_only_skipped_scenarios_mean_not_run_with_the_reasons(tmp_path: Path) -> None:
    write_result(tmp_path, "covers the rest", "passed", [n for n in ALL_ITEMS if n != 14])
    write_result(tmp_path, "high-risk payment held", "skipped", [14],
                 message="Skipped: needs the emulator's control API")
    item = _item(_summary(tmp_path), 14)
    assert item["verdict"] == "not run"
    assert item["skip_reasons"] == ["needs the emulator's control API"]
    assert item["scenarios"][0]["skip_reason"] == "needs the emulator's control API"


def test_passed_beside_skipped_is_only_partial_and_the_run_not_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "held payment", "skipped", [14], message="Skipped: emulator only")
    summary = _summary(tmp_path)
    item = _item(summary, 14)
    assert item["verdict"] == "partial" and item["not_run"] == 1
    assert item["skip_reasons"] == ["emulator only"]
    assert "| PARTIAL | 1 / 1 / 2 | emulator only (in: held payment) |" in render_markdown(summary)
    assert summary["overall"] == "partial" and _item(summary, 13)["verdict"] == "pass"
    assert summary["headline"].startswith("PARTIAL for invoices on an unrecorded target: item 14 not fully proven")


def test_an_item_without_any_scenario_is_not_run_and_the_run_never_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "covers all but 5", "passed", [n for n in ALL_ITEMS if n != 5])
    summary = _summary(tmp_path)
    assert _item(summary, 5)["verdict"] == "not run"
    assert _item(summary, 5)["scenarios"] == []
    assert summary["overall"] == "partial" and not summary["certification"]
    assert summary["items_passed"] == 13


def test_duplicates_by_history_id_keep_the_latest_attempt(tmp_path: Path) -> None:
    # Two xdist workers or a retry: the same scenario written twice; the later stop time wins either way round.
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "flaky resend", "failed", [13], history_id="h13", stop=2_000, message="first try")
    write_result(tmp_path, "flaky resend", "passed", [13], history_id="h13", stop=3_000)
    write_result(tmp_path, "late failure", "passed", [11], history_id="h11", stop=2_000)
    write_result(tmp_path, "late failure", "failed", [11], history_id="h11", stop=3_000, message="boom")
    summary = _summary(tmp_path)
    assert [row["status"] for row in _item(summary, 13)["scenarios"]] == ["passed", "passed"]
    assert _item(summary, 13)["verdict"] == "pass"
    assert _item(summary, 11)["verdict"] == "fail"
    assert len(load_scenarios(tmp_path)) == 3


def test_unreadable_result_files_are_ignored(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    (tmp_path / "half-written-result.json").write_text('{"name": "cut', encoding="utf-8")
    assert len(load_scenarios(tmp_path)) == 1


def test_summary_files_carry_targets_items_and_verdicts(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_result(results, "covers all but 5", "passed", [n for n in ALL_ITEMS if n != 5])
    summary = _summary(results, {"cryptopay_target": "https://sandbox.example", "merchant_target": "probe"})
    json_path, md_path = write_summary(summary, tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["run"]["cryptopay_target"] == "https://sandbox.example"
    assert len([item for item in data["items"] if item["product"] == "invoices"]) == 14
    markdown = md_path.read_text(encoding="utf-8")
    assert "**PARTIAL for invoices on an unrecorded target: item 5 not fully proven" in markdown
    assert "| Cryptopay target | https://sandbox.example |" in markdown
    assert "Invoices item 05: Creates several invoices" in markdown and "| NOT RUN |" in markdown
    assert render_markdown(summary) == markdown


RECALCULATED = [("Given a new customer", "passed"), ("And the customer has paid only half of the deposit", "passed"),
                ("When the merchant resolves the deposit by recalculation", "passed"),
                ("Then Cryptopay reports the deposit as completed", "passed"),
                ("And the merchant records the deposit as completed", "passed"),
                ("And the customer's balance shows the deposit's final price", "failed")]


def test_a_failed_balance_check_fails_item_12_and_keeps_the_statuses_item_11(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "underpaid recalculated", "failed", [1, 9, 11, 12], steps=RECALCULATED,
                 message="waited 8 s for the customer to have 50.05 EUR")
    summary = _summary(tmp_path)
    assert _item(summary, 12)["verdict"] == "fail"
    assert [_item(summary, n)["verdict"] for n in (1, 9, 11)] == ["pass", "pass", "pass"]
    row = next(r for r in _item(summary, 11)["scenarios"] if r["name"] == "underpaid recalculated")
    assert row["for_this_item"] == "passed" and "customer's balance" in row["detail"]


def test_a_failed_status_check_leaves_later_items_not_proven_rather_than_passed(tmp_path: Path) -> None:
    steps = [*RECALCULATED[:4], ("And the merchant records the deposit as completed", "failed"),
             ("And the customer's balance shows the deposit's final price", "skipped")]
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "underpaid recalculated", "failed", [1, 9, 11, 12], steps=steps, message="status new")
    summary = _summary(tmp_path)
    assert _item(summary, 11)["verdict"] == "fail"
    assert _item(summary, 12)["verdict"] == "partial"  # its check never ran: not proven, not blamed
    assert [_item(summary, n)["verdict"] for n in (1, 9)] == ["pass", "pass"]
    assert summary["overall"] == "not ready" and summary["headline"].startswith("NOT READY")
    assert "item 11 fail" in summary["headline"]


def test_a_failure_while_setting_the_scene_fails_every_item_of_the_scenario(tmp_path: Path) -> None:
    steps = [("Given a new customer", "passed"), ("When the customer pays the exact amount", "broken"),
             ("Then the merchant records the deposit as completed", "skipped")]
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "paid in full", "broken", [11, 12], steps=steps, message="KeyError: 'pay_amount'")
    summary = _summary(tmp_path)
    assert [_item(summary, n)["verdict"] for n in (11, 12)] == ["fail", "fail"]


def test_a_check_outside_the_scenarios_items_blames_all_of_them(tmp_path: Path) -> None:
    steps = [("Given a new customer", "passed"), ("When the deposit expires", "passed"),
             ("Then the customer has been credited nothing", "failed")]
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "policy", "failed", [4], steps=steps, message="credited")
    assert _item(_summary(tmp_path), 4)["verdict"] == "fail"


def test_the_verdict_names_what_was_certified(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    scenarios = load_scenarios(tmp_path)
    sandbox = build_summary(scenarios, {"cryptopay_api_url": SANDBOX_URL, "merchant_build": "shop-1.2"})
    assert sandbox["headline"] == ("READY for invoices on the Cryptopay sandbox (merchant build shop-1.2); channels, "
                                   "payouts not integrated")
    assert sandbox["overall"] == "ready" and sandbox["certification"] is True
    for target in ({"cryptopay_target": "embedded emulator"}, {"cryptopay_api_url": "http://127.0.0.1:8080"}):
        rehearsal = build_summary(scenarios, target)
        # The JSON says what the headline says: a gate reading "overall" never goes live on a rehearsal.
        assert rehearsal["overall"] == "rehearsal_passed" and rehearsal["certification"] is False
        assert {p["verdict"] for p in rehearsal["products"] if p["product"] == "invoices"} == {"rehearsal_passed"}
        assert rehearsal["headline"].startswith("ALL ITEMS PASS for invoices on ")
        assert "rehearsal, not a certification" in rehearsal["headline"]
    assert "READY" not in build_summary(scenarios, {"cryptopay_target": "embedded emulator"})["headline"]


def test_where_the_run_was_comes_from_the_url_it_talked_to_never_from_a_label(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    relabelled = build_summary(load_scenarios(tmp_path), {"target_class": "sandbox",
                                                          "cryptopay_api_url": "http://127.0.0.1:8080"})
    assert relabelled["overall"] == "rehearsal_passed" and relabelled["certification"] is False
    assert "on a standalone emulator" in relabelled["headline"]
    lookalike = build_summary(load_scenarios(tmp_path), {"cryptopay_api_url": "http://business-sandbox.cryptopay.me"})
    assert lookalike["certification"] is False  # the sandbox is https at its own host, nothing else


def test_a_subset_run_says_so_first(tmp_path: Path) -> None:
    write_result(tmp_path, "resend", "passed", [13])
    summary = build_summary(load_scenarios(tmp_path), {"cryptopay_target": "embedded emulator",
                                                       "selection": "-m 'invoices_13'"})
    assert summary["headline"].startswith(
        "Subset run (-m 'invoices_13'), not a certification. PARTIAL for invoices on")


# -- blame only what failed: a failure fails the item it names, wherever it is seen; an outage fails nothing -------
GIVEN_CREDITED = [("Given a new customer", "passed"),
                  ("And the customer's 100.00 EUR deposit, paid in crypto, has been completed and credited", "failed"),
                  ("When Cryptopay sends the \"completed\" notification for that deposit again", "skipped"),
                  ("Then the merchant acknowledged every notification", "skipped"),
                  ("And the customer's balance still shows 100.00 EUR", "skipped")]
FEE_TAKEN = ("support.drivers.waiting.Decided: Why (product defect, invoices item 12): the customer was credited 99.00 EUR, "
             "the completed invoice's price_amount 100.00 EUR less Cryptopay's fee 1.00 EUR. Fix: credit price_amount")


def test_a_wrong_amount_seen_while_setting_the_scene_fails_item_12_only(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "resent completed", "failed", [13], steps=GIVEN_CREDITED, message=FEE_TAKEN)
    summary = _summary(tmp_path)
    verdicts = {item["item"]: item["verdict"] for item in summary["items"] if item["product"] == "invoices"}
    assert [n for n, v in verdicts.items() if v == "fail"] == [12], verdicts
    assert verdicts[13] == "partial"  # its own check was never reached: not proven either way, never failed
    assert "resent completed" in [row["name"] for row in _item(summary, 12)["scenarios"]]  # filed under item 12
    assert summary["headline"].startswith("NOT READY for invoices on an unrecorded target: item 12 fail;")


def test_a_misrouted_notification_is_not_proven_configuration_and_says_so(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "paid in full", "failed", [11, 12], steps=[
        ("Given a new customer", "passed"), ("Then the merchant records the deposit as completed", "failed")],
        message="AssertionError: Why (configuration): Cryptopay reports invoice 1 as completed, so it has notified "
                "the merchant, but the merchant's callback log shows no notification for it. Fix: set the Callback "
                "URL in the Cryptopay dashboard")
    summary = _summary(tmp_path)
    assert [_item(summary, n)["verdict"] for n in (11, 12)] == ["not proven", "not proven"]
    assert summary["overall"] == "not proven" and summary["products"][0]["not_proven"] == "configuration"
    assert summary["headline"].startswith("NOT PROVEN: CONFIGURATION for invoices on an unrecorded target: items 11, "
                                          "12 not proven, none failed: Cryptopay reports invoice 1 as completed")
    assert "Fix" not in summary["headline"]
    assert summary["products"][0]["verdict"] == "not proven"


def test_a_defect_beside_an_outage_is_not_ready_and_names_both(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "resend credits twice", "failed", [13],
                 message="Why (product defect, invoices item 13): 2 credits. Fix: a unique constraint")
    write_result(tmp_path, "merchant gone", "failed", [5],
                 message="Why (environment): the merchant did not answer. Fix: bring it back up")
    summary = _summary(tmp_path)
    assert summary["headline"] == ("NOT READY for invoices on an unrecorded target: item 13 fail; item 5 not proven "
                                   "(environment); channels, payouts not integrated")


def test_a_quoted_why_is_the_merchants_words_not_a_diagnosis(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "status", "failed", [11], message="AssertionError: it records {'status': 'Why "
                 "(environment): nothing to see'}")
    assert _item(_summary(tmp_path), 11)["verdict"] == "fail"
