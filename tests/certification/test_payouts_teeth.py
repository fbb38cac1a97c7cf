"""The Payouts checklist's teeth: each deliberately broken payout merchant (tests/broken_payout_merchants.py) fails
exactly the payout scenarios its defect touches, its own item's among them, and passes all the others it runs (issue
23's variants run issue 23's scenarios, the others the scenarios written before); the reference merchant passes
every payout scenario under either declared amount field. The amount checks themselves accept the withdrawals
Cryptopay recorded and refuse the field not declared."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

from support.domain.payouts import charged_problem, read_amount_fields, received_problem
from support.targets.pair import Credentials, start_pair
from tests.broken_merchants import VARIANTS
from tests.broken_payout_merchants import PAYOUT_VARIANTS
from tests.certification.harness import Stack, Verdicts, own_signoff, run_features


AMOUNTS = "test_a_payout_kind_charges_and_sends_what_the_merchants_field_means"
CONVERTED, SAME_COIN = (f"{AMOUNTS}[from euros into crypto-100.00-20.00-EUR-crypto]",
                        f"{AMOUNTS}[in the coin of the balance-0.01-0.002-BTC-BTC]")
FORGED = [f"test_a_kind_notification_that_a_payout_was_cancelled_is_refused[{kind}]"
          for kind in ("forged", "tampered", "unsigned", "misdirected")]
RESENT = "test_the_payouts_notification_notification_sent_again_debits_nothing_more"
FIFTY = "test_fifty_copies_at_once_of_the_payouts_notification_notification_debit_nothing_more"

# Every payout scenario written before issue 23, by item (pytest-bdd test names).
EARLIER = {
    1: [CONVERTED, SAME_COIN],
    2: ["test_a_customer_who_asks_to_withdraw_is_paid_out_by_cryptopay_to_the_address_they_gave"],
    3: ["test_every_notification_of_a_payout_is_acknowledged_and_followed", *FORGED],
    4: ["test_a_completed_payout_is_recorded_as_completed", "test_a_payout_cryptopay_holds_is_recorded_as_held"],
    5: ["test_a_payout_debits_the_customer_once_by_what_cryptopay_charged", f"{RESENT}[created]",
        f"{RESENT}[completed]", f"{FIFTY}[created]", f"{FIFTY}[completed]"],
    6: ["test_a_failed_payout_ends_cancelled_and_the_customer_gets_the_amount_back",
        "test_the_cancelled_notification_arriving_50_times_at_once_gives_the_amount_back_once"],
    7: ["test_a_payout_to_an_address_cryptopay_screens_as_highrisk_is_refused_and_the_customer_is_told"],
}
# Issue 23's: the first "cancelled" stormed, a late notification, a hold and a failure that end completed, the
# payouts Cryptopay was asked for, a status check Cryptopay failed while the merchant handled a notification.
FIRST_CANCELLED = "test_the_very_first_cancelled_notification_of_a_payout_arrives_50_times_at_once"
LATE = "test_a_late_processing_notification_does_not_move_a_completed_payout_back"
HELD = "test_a_payout_cryptopay_holds_and_then_releases_debits_the_customer_once"
AFTER_ALL = "test_a_failed_payout_that_cryptopay_completes_after_all_debits_the_customer_once"
ASKED_ONCE = "test_a_payout_cryptopay_refused_as_highrisk_is_not_asked_for_again"
CHECK_FAILED = "test_a_cancelled_payout_whose_status_check_failed_once_still_gives_the_amount_back_once"
ISSUE_23 = [FIRST_CANCELLED, LATE, HELD, AFTER_ALL, ASKED_ONCE, CHECK_FAILED]
ISSUE_23_ITEMS = {3: [LATE, CHECK_FAILED], 4: [LATE, HELD, AFTER_ALL], 5: [HELD],
                  6: [FIRST_CANCELLED, AFTER_ALL, CHECK_FAILED], 7: [ASKED_ONCE]}

# Every payout scenario, by item.
ITEMS = {item: [*names, *ISSUE_23_ITEMS.get(item, [])] for item, names in EARLIER.items()}
EVERY_SCENARIO = {name for names in ITEMS.values() for name in names}

# variant -> (the declared PAYOUT_AMOUNT_FIELD, shared by merchant and suite; the item it breaks; every scenario
# that must fail of those it runs). Beyond its own item a variant fails only where its defect is visible: a wrong
# debit shows in every balance read after a payout, ignored notifications in every record of a status and every
# refund.
EXPECTED = {
    "sends_amount_in_undeclared_field": ("charged_amount", 1, EARLIER[1]),
    "debits_requested_amount": ("charged_amount_to_send", 1, [*EARLIER[1], *EARLIER[5], *FORGED]),
    "payouts_without_customer_id": ("charged_amount", 2, EARLIER[2]),
    "ignores_coin_withdrawal_callbacks": ("charged_amount", 3, [*EARLIER[3], *EARLIER[4], *EARLIER[6]]),
    "debits_twice_on_duplicated_callbacks": ("charged_amount", 5, [f"{RESENT}[created]", f"{FIFTY}[created]"]),
    "never_refunds_cancelled_payout": ("charged_amount", 6, EARLIER[6]),
    "debits_on_high_risk_address": ("charged_amount", 7, EARLIER[7]),
    # Issue 23's, each passing every scenario written before issue 23 (tests/merchant/test_broken_payout_variants.py
    # proves each defect at merchant level):
    "check_then_insert_payout_refund": ("charged_amount", 6, [FIRST_CANCELLED]),
    "follows_payout_callback_body": ("charged_amount", 4, [LATE]),
    "refunds_held_payout": ("charged_amount", 5, [HELD]),
    "refunds_failed_payout": ("charged_amount", 6, [AFTER_ALL]),
    "retries_high_risk_with_new_custom_id": ("charged_amount", 7, [ASKED_ONCE]),
    # One of every product (tests/broken_merchants.py): answers 200 before its status check, which Cryptopay fails.
    "acknowledges_before_processing": ("charged_amount", 3, [CHECK_FAILED]),
}
ISSUE_23_VARIANTS = {"check_then_insert_payout_refund", "follows_payout_callback_body", "refunds_held_payout",
                     "refunds_failed_payout", "retries_high_risk_with_new_custom_id", "acknowledges_before_processing"}
# The broken merchants the payout teeth run: the payout ones, and those of every product.
MERCHANTS = {**PAYOUT_VARIANTS, "acknowledges_before_processing": VARIANTS["acknowledges_before_processing"]}


def selection(variant: str) -> tuple[set[str], str]:
    """What a variant runs (CI time), as the scenarios and pytest's -k expression: issue 23's variants issue 23's
    six scenarios alone, where their defects show and each must pass the other five; every other variant every
    scenario but issue 23's, which catch nothing of its defect the earlier ones do not."""
    issue_23 = " or ".join(ISSUE_23)
    if variant in ISSUE_23_VARIANTS:
        return set(ISSUE_23), issue_23
    return EVERY_SCENARIO - set(ISSUE_23), f"not ({issue_23})"


# The amount fields' table exactly as features/payouts/amounts.feature states it.
TABLE = [["field", "fees", "Cryptopay charges the merchant", "the recipient receives"],
         ["charged_amount", "deducted from the amount", "the amount", "the amount less the fees"],
         ["charged_amount_to_send", "added on top of the amount", "the amount plus the fees", "the amount"]]


def recorded(charged: str, currency: str, received: str, coin: str, network_fee: str, rate: str | None = None,
             exchange_fee: str = "0.0", fee: str = "0.0") -> dict:
    """A coin withdrawal as Cryptopay answers it, with only the fields the amount checks read."""
    withdrawal = {"charged_amount": charged, "charged_currency": currency, "received_amount": received,
                  "received_currency": coin, "network_fee": network_fee, "fee": fee, "fee_currency": coin}
    if rate:
        withdrawal["exchange"] = {"pair": coin + currency, "rate": rate, "fee": exchange_fee, "fee_currency": currency}
    return withdrawal


# (field sent, amount asked, the withdrawal Cryptopay recorded): docs/cryptopay-channels-payouts-facts.md §12.
RECORDED = [
    ("charged_amount", "100.0", recorded("100.0", "EUR", "0.00184519", "BTC", "0.00000216", "53590.0452", "1.0")),
    ("charged_amount", "10.0", recorded("10.0", "EUR", "0.00275953", "ETH", "0.00020992", "3333.9458", "0.1")),
    ("charged_amount", "20.0", recorded("20.0", "EUR", "24.266207", "XRP", "0.000045", "0.815948", "0.2")),
    ("charged_amount_to_send", "10", recorded("10.17", "EUR", "0.00103102", "BTC", "0.0000054", "9699.0409", "0.11")),
    ("charged_amount", "0.01", recorded("0.01", "BTC", "0.0098946", "BTC", "0.0000054", fee="0.0001")),
    ("charged_amount_to_send", "0.0001", recorded("0.00035645", "ETH", "0.0001", "ETH", "0.00025645")),
]


@pytest.mark.parametrize(("field", "asked", "withdrawal"), RECORDED, ids=[f"{r[0]}-{r[1]}" for r in RECORDED])
def test_the_amount_checks_accept_cryptopays_recorded_withdrawals_and_refuse_the_other_field(
        field: str, asked: str, withdrawal: dict) -> None:
    fields = read_amount_fields(TABLE)
    other = next(name for name in fields.meanings if name != field)
    assert charged_problem(fields.meaning(field), Decimal(asked), withdrawal) is None
    assert received_problem(fields.meaning(field), Decimal(asked), withdrawal) is None
    assert "another field than the one it declared" in charged_problem(fields.meaning(other), Decimal(asked),
                                                                       withdrawal)


def test_an_amount_table_that_contradicts_itself_is_refused() -> None:
    contradicting = [TABLE[0], ["charged_amount", "deducted from the amount", "the amount plus the fees",
                                "the amount"], TABLE[2]]
    with pytest.raises(ValueError, match="fees are 'deducted from the amount'"):
        read_amount_fields(contradicting)


@contextmanager
def payout_stack(workdir: Path, merchant_kwargs: dict | None = None,
                 declared_field: str = "charged_amount") -> Iterator[Stack]:
    """An emulator that sends coin-withdrawal notifications (opt-in, as on the dashboard) and takes time between
    a withdrawal's steps, and a merchant wired to it; merchant and suite both declare `declared_field`."""
    with ExitStack() as stack:
        pair = start_pair(stack, f"sqlite:///{workdir / 'merchant.sqlite3'}", Credentials.fresh(),
                          {**(merchant_kwargs or {}), "payout_amount_field": declared_field},
                          rate_limit_per_minute=0)  # coin-withdrawal callbacks and payout steps: ACCOUNT_OPTIONS
        creds, merchant = pair.credentials, pair.merchant
        yield Stack({"CRYPTOPAY_API_URL": pair.emulator.url, "CRYPTOPAY_API_KEY": creds.api_key,
                     "CRYPTOPAY_API_SECRET": creds.api_secret, "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret,
                     "MERCHANT_PROBE_URL": merchant.probe_url, "MERCHANT_CALLBACK_URL": merchant.callback_url,
                     "MERCHANT_PROBE_TOKEN": creds.probe_token, "EMULATOR_CONTROL_URL": pair.emulator.control_url,
                     "GO_LIVE_SIGNOFF_FILE": str(own_signoff(workdir)), "PAYOUT_AMOUNT_FIELD": declared_field},
                    creds.values())


def run_payouts(workdir: Path, merchant_kwargs: dict | None = None, declared_field: str = "charged_amount",
                keyword: str | None = None) -> Verdicts:
    """Every payout scenario, or those pytest's -k `keyword` selects."""
    chosen = ("-k", keyword) if keyword else ()
    with payout_stack(workdir, merchant_kwargs, declared_field) as stack:
        return run_features(stack, workdir, "-m", "payouts", *chosen, timeout=600)


def test_every_payout_variant_has_its_expectation() -> None:
    assert set(EXPECTED) == set(MERCHANTS), "a broken payout merchant without expected failures proves nothing"
    assert {item for _, item, _ in EXPECTED.values()} == set(ITEMS)
    assert ISSUE_23_VARIANTS <= set(EXPECTED) and set(ISSUE_23) <= EVERY_SCENARIO
    for variant, (_, item, failing) in EXPECTED.items():
        assert set(ITEMS[item]) & set(failing), f"{variant} must fail a scenario of item {item}"
        assert set(failing) <= selection(variant)[0], f"{variant} expects failures of scenarios it does not run"


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_a_broken_payout_merchant_fails_exactly_the_scenarios_its_defect_touches(variant: str,
                                                                                  tmp_path: Path) -> None:
    declared_field, item, failing = EXPECTED[variant]
    ran, keyword = selection(variant)
    verdicts = run_payouts(tmp_path, MERCHANTS[variant], declared_field, keyword)
    assert set(verdicts.failed) == set(failing), (
        f"{variant}: should fail {sorted(set(failing) - set(verdicts.failed))} and did not; should pass "
        f"{sorted(set(verdicts.failed) - set(failing))} and did not\n{verdicts.output[-3000:]}")
    assert set(verdicts.passed) == ran - set(failing), (sorted(verdicts.skipped), verdicts.output[-3000:])
    if variant in ISSUE_23_VARIANTS:  # caught by its own scenario, whose diagnosis names the item it breaks
        assert all(f"payouts item {item}" in verdicts.failed[name] for name in failing), verdicts.failed


@pytest.mark.slow
@pytest.mark.parametrize("declared_field", ["charged_amount", "charged_amount_to_send"])
def test_the_reference_merchant_passes_every_payout_scenario(declared_field: str, tmp_path: Path) -> None:
    verdicts = run_payouts(tmp_path, declared_field=declared_field)
    assert verdicts.returncode == 0 and set(verdicts.passed) == EVERY_SCENARIO, (
        sorted(EVERY_SCENARIO - set(verdicts.passed)), verdicts.output[-4000:])
