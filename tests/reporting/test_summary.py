"""The go-live verdicts from hand-made Allure results: pass, fail, not run, and duplicate results."""
from __future__ import annotations

import json
from pathlib import Path

from reporting.results import load_scenarios
from reporting.summary import build_summary, render_markdown, write_summary
from tests.reporting.results_factory import write_result

ALL_ITEMS = list(range(1, 15))


def _summary(results: Path, run_info: dict | None = None) -> dict:
    return build_summary(load_scenarios(results), run_info or {})


def _item(summary: dict, number: int) -> dict:
    return next(item for item in summary["items"] if item["item"] == number)


def test_every_item_passing_makes_the_run_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    summary = _summary(tmp_path)
    assert summary["overall"] == "ready"
    assert [item["verdict"] for item in summary["items"]] == ["pass"] * 14
    assert _item(summary, 12)["title"].startswith("Item 12: Credits the customer")


def test_one_failed_scenario_fails_its_items_and_the_run(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "resend credits twice", "failed", [13], message="AssertionError: balance 200.00")
    summary = _summary(tmp_path)
    assert _item(summary, 13)["verdict"] == "fail"
    assert _item(summary, 12)["verdict"] == "pass"
    assert summary["overall"] == "not ready"
    failed = [row for row in _item(summary, 13)["scenarios"] if row["status"] == "failed"]
    assert failed == [{"name": "resend credits twice", "feature": "A feature", "status": "failed",
                       "message": "AssertionError: balance 200.00"}]


def test_broken_counts_as_fail_not_as_pass(tmp_path: Path) -> None:
    write_result(tmp_path, "covers everything", "passed", ALL_ITEMS)
    write_result(tmp_path, "merchant down", "broken", [10], message="ConnectionError: refused")
    assert _item(_summary(tmp_path), 10)["verdict"] == "fail"


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
    assert item["verdict"] == "partial" and item["skipped"] == 1
    assert item["skip_reasons"] == ["emulator only"]
    assert "| PARTIAL, 1 skipped | 1 / 1 / 2 |" in render_markdown(summary)
    assert summary["overall"] == "partially proven" and _item(summary, 13)["verdict"] == "pass"


def test_an_item_without_any_scenario_is_not_run_and_the_run_not_ready(tmp_path: Path) -> None:
    write_result(tmp_path, "covers all but 5", "passed", [n for n in ALL_ITEMS if n != 5])
    summary = _summary(tmp_path)
    assert _item(summary, 5)["verdict"] == "not run"
    assert _item(summary, 5)["scenarios"] == []
    assert summary["overall"] == "not ready"
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
    assert len(data["items"]) == 14
    markdown = md_path.read_text(encoding="utf-8")
    assert "**Overall: NOT READY**" in markdown
    assert "| Cryptopay target | https://sandbox.example |" in markdown
    assert "Item 05: Creates several invoices" in markdown and "| NOT RUN |" in markdown
    assert render_markdown(summary) == markdown
