"""The terminal's words as reporting renders them: the progress counter, a failure's Why and Fix, what is not run."""
from __future__ import annotations

from reporting.terminal_lines import failure_details, plan_of, progress


def test_the_counter_says_how_far_and_how_long_at_this_runs_pace() -> None:
    assert progress(12, 71, 24.0) == "[12/71    ~2m left]"  # 2 s a scenario, 59 to go
    assert progress(71, 71, 90.0) == "[71/71        done]"
    assert progress(3, 2, 1.0) == "[3/3        done]"  # a scenario beyond the plan never reads as 3/2


def test_a_diagnosed_failure_puts_why_and_fix_on_lines_of_their_own() -> None:
    why = ("AssertionError: Why (product defect): the merchant credited twice. Fix: credit once per invoice, "
           "a unique key deciding.")
    assert failure_details(why) == ["Why (product defect): the merchant credited twice.",
                                    "Fix: credit once per invoice, a unique key deciding."]
    long = failure_details("AssertionError: " + "word " * 100)
    assert len(long) == 1 and long[0].endswith(" …") and len(long[0]) <= 300 and "AssertionError" not in long[0]


def test_scenarios_not_run_are_one_line_per_product_or_reason() -> None:
    manifest = {"scenarios": [
        {"nodeid": "a", "product": "channels", "not_run_reason": "not integrated (CERTIFY_PRODUCTS)"},
        {"nodeid": "b", "product": "channels", "not_run_reason": "not integrated (CERTIFY_PRODUCTS)"},
        {"nodeid": "c", "product": "invoices", "not_run_reason": "needs the emulator's control"},
        {"nodeid": "d", "product": "payouts", "not_run_reason": "needs the emulator's control"},
        {"nodeid": "e", "product": "invoices"}]}
    plan = plan_of(manifest, 5)
    assert plan.total == 1 and set(plan.not_run) == {"a", "b", "c", "d"}
    assert plan.groups == ["Channels: not integrated (CERTIFY_PRODUCTS): its 2 scenarios not run",
                           "2 scenarios not run here (invoices 1, payouts 1): needs the emulator's control"]
