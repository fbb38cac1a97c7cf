"""Three products side by side: a verdict per product, one overall verdict over the products the merchant
integrates, NOT INTEGRATED for the others (never a failure, never READY), NO SCENARIOS for an empty checklist."""
from __future__ import annotations

from pathlib import Path

from reporting.results import load_scenarios
from reporting.run_info import SANDBOX_URL
from reporting.summary import build_summary, render_markdown
from reporting.verdict_page import render_banner
from support.plugins.evidence_build import checklist_lines
from tests.reporting.results_factory import write_result

SANDBOX = {"cryptopay_api_url": SANDBOX_URL}
NOT_CHOSEN = "not integrated (CERTIFY_PRODUCTS)"
INVOICES = list(range(1, 15))
CHANNELS = list(range(1, 9))
PAYOUTS = list(range(1, 8))


def _run(products: list[str], not_integrated: dict[str, str] | None = None, **info: str) -> dict:
    reasons = {p: NOT_CHOSEN for p in ("invoices", "channels", "payouts") if p not in products}
    return {**SANDBOX, "products": products, "not_integrated": {**reasons, **(not_integrated or {})}, **info}


def _product(summary: dict, name: str) -> dict:
    return next(p for p in summary["products"] if p["product"] == name)


def _item(summary: dict, product: str, number: int) -> dict:
    return next(i for i in summary["items"] if i["product"] == product and i["item"] == number)


def _all_pass(results: Path, *products: str) -> None:
    for product, numbers in (("invoices", INVOICES), ("channels", CHANNELS), ("payouts", PAYOUTS)):
        if product in products:
            write_result(results, f"covers {product}", "passed", numbers, product=product)


def test_a_merchant_with_invoices_only_is_ready_for_invoices_and_says_what_is_not_integrated(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices")
    write_result(tmp_path, "channel credited", "skipped", [5], product="channels", message=f"Skipped: {NOT_CHOSEN}")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices"]))
    assert summary["headline"] == "READY for invoices on the Cryptopay sandbox; channels, payouts not integrated"
    assert summary["overall"] == "ready" and summary["certification"] is True
    assert [p["verdict"] for p in summary["products"]] == ["ready", "not integrated", "not integrated"]
    assert _product(summary, "channels")["reason"] == NOT_CHOSEN
    # The skipped channel scenario is listed, but counts neither as a failure nor as a gap of the certified products.
    assert _item(summary, "channels", 5)["verdict"] == "not integrated"
    assert summary["items_total"] == 14 and summary["items_passed"] == 14


def test_all_three_products_passing_is_ready_for_all_three(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "channels", "payouts")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "channels", "payouts"], merchant_build="b7"))
    assert summary["headline"] == "READY for invoices, channels, payouts on the Cryptopay sandbox (merchant build b7)"
    assert summary["items_total"] == 29 and summary["items_passed"] == 29


def test_one_failing_item_of_one_product_fails_that_product_and_the_whole(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "channels")
    write_result(tmp_path, "pending payment credited", "failed", [5], product="channels", message="credited 10.00")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "channels"]))
    assert [p["verdict"] for p in summary["products"]] == ["ready", "not ready", "not integrated"]
    assert summary["overall"] == "not ready" and not summary["certification"]
    assert summary["headline"] == ("NOT READY for invoices, channels on the Cryptopay sandbox: channels item 5 fail; "
                                   "payouts not integrated")
    assert _item(summary, "invoices", 5)["verdict"] == "pass"  # the same number in another product is untouched


def test_a_chosen_product_without_scenarios_is_no_scenarios_and_never_ready(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "channels")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "channels", "payouts"]))
    assert _product(summary, "payouts")["verdict"] == "no scenarios"
    assert summary["overall"] == "partial" and not summary["certification"]
    assert summary["headline"] == ("PARTIAL for invoices, channels, payouts on the Cryptopay sandbox: payouts without "
                                   "scenarios; never READY until every scenario has passed")
    assert "Payouts: NO SCENARIOS" in render_markdown(summary)


def test_a_product_the_probe_does_not_offer_is_not_integrated_with_its_reason(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices")
    offered = "not integrated (the merchant's probe offers invoices only: GET /capabilities)"
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "channels", "payouts"],
                                                           {"channels": offered, "payouts": offered}))
    assert summary["overall"] == "ready"
    assert summary["headline"] == "READY for invoices on the Cryptopay sandbox; channels, payouts not integrated"
    assert _product(summary, "payouts")["reason"] == offered


def test_nothing_integrated_certifies_nothing(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices")
    offered = "not integrated (the merchant's probe offers invoices only: GET /capabilities)"
    summary = build_summary(load_scenarios(tmp_path), _run(["channels"], {"channels": offered}))
    assert summary["overall"] == "partial" and not summary["certification"]
    assert summary["headline"] == ("NOTHING CERTIFIED on the Cryptopay sandbox: invoices, channels, payouts not "
                                   "integrated")


def test_a_rehearsal_passing_every_product_is_no_certification(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "payouts")
    summary = build_summary(load_scenarios(tmp_path), {**_run(["invoices", "payouts"]), "cryptopay_api_url": None,
                                                       "cryptopay_target": "embedded emulator"})
    assert summary["headline"] == ("ALL ITEMS PASS for invoices, payouts on the embedded emulator: a rehearsal, not a "
                                   "certification; channels not integrated")
    assert "Invoices: ALL ITEMS PASS (a rehearsal, not a certification) (14 of 14 items pass)" in \
        checklist_lines(summary)


def test_each_product_judges_its_steps_with_its_own_proof_kinds(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "channels")
    steps = [("Given a customer with a channel", "passed"), ("When a payment to the channel completes", "passed"),
             ("Then the merchant records the channel payment as completed", "passed"),
             ("And the customer's balance shows the declared amount", "failed")]
    write_result(tmp_path, "converted payment", "failed", [4, 6], product="channels", steps=steps, message="gross")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "channels"]))
    assert _item(summary, "channels", 6)["verdict"] == "fail"
    assert _item(summary, "channels", 4)["verdict"] == "pass"  # its own check, the merchant's record, passed
    assert _item(summary, "invoices", 4)["verdict"] == "pass" and _item(summary, "invoices", 6)["verdict"] == "pass"


def test_the_terminal_table_has_a_verdict_per_product_and_one_line_for_one_not_integrated(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "channels")
    write_result(tmp_path, "resent completion", "failed", [7], product="channels", message="Why: credited twice")
    lines = checklist_lines(build_summary(load_scenarios(tmp_path), _run(["invoices", "channels"])))
    assert lines[0] == "Invoices: READY (14 of 14 items pass)" and lines[1] == "  Item 01  PASS"
    assert lines[15] == "Channels: NOT READY (7 of 8 items pass)"
    assert lines[22].startswith("  Item 07  FAIL     Why: credited twice (in: resent completion)")
    assert lines[24:] == [f"Payouts: NOT INTEGRATED: {NOT_CHOSEN}"]


def test_the_banner_heads_each_product_with_its_verdict_and_lists_items_only_when_integrated(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices", "payouts")
    summary = build_summary(load_scenarios(tmp_path), _run(["invoices", "payouts"]))
    banner = render_banner(summary)
    assert '<tr class="product" data-product="channels" data-verdict="not integrated">' in banner
    assert f"Channels: NOT INTEGRATED: {NOT_CHOSEN}" in banner
    assert banner.count('<tr data-item="invoices ') == 14 and banner.count('<tr data-item="payouts ') == 7
    assert 'data-item="channels ' not in banner
    markdown = render_markdown(summary)
    assert "## Invoices: READY (14 of 14 items pass)" in markdown
    assert "## Payouts: READY (7 of 7 items pass)" in markdown
    assert f"## Channels: NOT INTEGRATED: {NOT_CHOSEN}" in markdown and "Channels item 01" not in markdown


def test_a_run_recorded_before_three_products_is_read_as_invoices_only(tmp_path: Path) -> None:
    _all_pass(tmp_path, "invoices")
    summary = build_summary(load_scenarios(tmp_path), dict(SANDBOX))
    assert summary["overall"] == "ready"
    assert [p["verdict"] for p in summary["products"]] == ["ready", "not integrated", "not integrated"]
