"""The diagnosis rules on hand-made evidence: each symptom names its cause and its fix, configuration apart."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from checklists import Item
from support.domain.channels import DEFAULT_CREDIT_RULE
from support.domain.payouts import BalanceMark, read_amount_fields
from support.domain.signoff import TEAMS, check_signoff
from support.drivers.waiting import WaitTimeout
from support.drivers.emulator import Attempt, Delivery
from support.evidence.diagnosis import (CONFIGURATION, DEFECT, ENVIRONMENT, Facts, ObjectFacts, annotate, diagnose,
                                        final_answers)

COMPLETED = {"status": "completed", "price_amount": "50.05", "price_currency": "EUR", "customer_id": "c1"}


def _facts(answers=(), balances=None, invoice=COMPLETED, recorded=None, step="the customer's balance shows",
           received=None, source="Cryptopay's delivery log", **facts) -> Facts:
    deposit = ObjectFacts("inv-1", (Decimal("100.00"), "EUR"), found=invoice, recorded=recorded,
                          answers=tuple(answers), source=source, received=received)
    return Facts(step=step, message="waited 8 s", objects=(deposit,), balances=balances,
                 callback_url="http://shop.test/callbacks", **facts)


def test_every_callback_answered_401_is_the_callback_secret() -> None:
    found = diagnose(_facts(answers=[401, 401, 401]))
    assert found.kind == CONFIGURATION and "rejects Cryptopay's signature" in found.why
    assert "Callback Secret" in found.fix and "401 ×3" in found.why


def test_callbacks_answered_404_name_the_callback_url_setting() -> None:
    found = diagnose(_facts(answers=[404, 404]))
    assert found.kind == CONFIGURATION and "MERCHANT_CALLBACK_URL (http://shop.test/callbacks)" in found.fix


def test_crediting_the_requested_price_names_price_amount() -> None:
    found = diagnose(_facts(answers=[200], balances={"EUR": Decimal("100.00")}))
    assert found.kind == DEFECT
    assert found.why == "the merchant credited the requested 100.00 EUR instead of the final price 50.05 EUR"
    assert found.fix == "credit price_amount of the completed invoice (it changes on recalculation)"


def test_a_double_credit_is_told_apart_from_a_wrong_amount() -> None:
    found = diagnose(_facts(answers=[200], balances={"EUR": Decimal("100.10")}))
    assert "2 credits for one invoice" in found.why and "unique constraint" in found.fix


def test_no_evidence_of_a_cause_leaves_the_message_alone() -> None:
    assert diagnose(_facts(answers=[200], balances={"EUR": Decimal("50.05")},
                           recorded={"status": "completed"})) is None


def test_the_diagnosis_goes_first_and_money_reads_as_money() -> None:
    error = WaitTimeout("waited 8 s for customer c1 to have 50.05 EUR; last seen: {'EUR': Decimal('100.00')}")
    assert annotate(error, diagnose(_facts(answers=[200], balances={"EUR": Decimal("100.00")})))
    first, seen = str(error).split("\n")
    assert first.startswith("Why (product defect, invoices item 12): the merchant credited the requested 100.00 EUR")
    assert seen == "Seen: waited 8 s for customer c1 to have 50.05 EUR; last seen: {'EUR': 100.00}"
    assert not annotate(error, diagnose(_facts(answers=[401])))  # never twice


def test_final_answers_take_the_last_attempt_of_each_delivery() -> None:
    def delivery(*attempts: Attempt) -> Delivery:
        return Delivery("d", "Invoice", "status_changed", "inv-1", "completed", "pending", "{}", attempts)
    at = "2026-01-05T10:00:00+00:00"
    deliveries = [delivery(Attempt(0, at, None, "refused", 1), Attempt(1, at, 200, None, 1)), delivery(),
                  delivery(Attempt(0, at, None, "timed out", 1))]
    assert final_answers(deliveries) == (200, "timed out")


# -- each failure names the item whose property it breaks, wherever it is seen -----------------------------------------
PAID_IN_FULL = {"status": "completed", "price_amount": "100.00", "price_currency": "EUR", "customer_id": "c1",
                "fee": "1.00", "fee_currency": "EUR"}


def test_a_credit_less_cryptopays_fee_is_item_12_and_says_so() -> None:
    found = diagnose(_facts(answers=[200, 200], balances={"EUR": Decimal("99.00")}, invoice=PAID_IN_FULL,
                            recorded={"status": "completed"}, step="the customer's 100.00 EUR deposit, paid in "
                            "crypto, has been completed and credited"))
    assert found.kind == DEFECT and found.fails == Item("invoices", 12)
    assert found.why == ("the customer was credited 99.00 EUR, the completed invoice's price_amount 100.00 EUR less "
                         "Cryptopay's fee 1.00 EUR")
    assert found.text().startswith("Why (product defect, invoices item 12): the customer was credited 99.00 EUR")


def test_any_other_wrong_amount_is_item_12_too() -> None:
    found = diagnose(_facts(answers=[200], balances={"EUR": Decimal("70.00")}, invoice=PAID_IN_FULL,
                            recorded={"status": "completed"}))
    assert found.fails == Item("invoices", 12) and "credited 70.00 EUR for completed invoices worth 100.00" in found.why


def test_a_second_credit_is_item_13_and_a_credit_while_held_item_14() -> None:
    twice = diagnose(_facts(answers=[200], balances={"EUR": Decimal("200.00")}, invoice=PAID_IN_FULL))
    held = diagnose(_facts(answers=[200], balances={"EUR": Decimal("100.00")},
                           invoice={**PAID_IN_FULL, "status": "unresolved", "status_context": "illicit_resource"}))
    early = diagnose(_facts(answers=[200], balances={"EUR": Decimal("100.00")},
                            invoice={**PAID_IN_FULL, "status": "unresolved", "status_context": "underpaid"}))
    assert (twice.fails, held.fails, early.fails) == (Item("invoices", 13), Item("invoices", 14), Item("invoices", 12))


def test_a_channels_failure_names_the_channels_item() -> None:
    found = diagnose(_facts(step="Support, Finance, Fraud and Transaction Monitoring have each acknowledged",
                            product="channels"))
    assert found.kind == CONFIGURATION and found.fails == Item("channels", 8)
    assert found.text().startswith("Why (configuration, channels item 8): ")


# -- a notification that never reached the merchant is the callback URL, before any product diagnosis ---------------
def test_deliveries_answered_200_elsewhere_name_the_dashboards_callback_url() -> None:
    found = diagnose(_facts(answers=[200, 200, 200], received=0, recorded={"status": "new"},
                            balances={"EUR": Decimal("0")}))
    assert found.kind == CONFIGURATION and found.fails is None  # nothing proven, nothing failed
    assert "answered 200, but the merchant's callback log has none" in found.why
    assert "Callback URL in the Cryptopay dashboard" in found.fix and "http://shop.test/callbacks" in found.fix


def test_without_the_delivery_log_a_notified_invoice_missing_from_the_merchants_log_is_the_callback_url() -> None:
    found = diagnose(_facts(received=0, source="the merchant's callback log", recorded={"status": "new"},
                            balances={}))
    assert found.kind == CONFIGURATION and "so it has notified the merchant" in found.why
    assert "Callback URL in the Cryptopay dashboard" in found.fix


def test_a_merchant_that_logged_the_notifications_is_judged_on_what_it_did() -> None:
    found = diagnose(_facts(answers=[200], received=1, recorded={"status": "new"}, balances={}))
    assert found.kind == DEFECT and found.fails == Item("invoices", 11)


def test_a_merchant_down_is_an_outage_not_a_callback_url() -> None:
    found = diagnose(_facts(answers=["connection refused", "connection refused"], merchant_down="merchant probe "
                            "unreachable at http://shop.test/probe (ConnectionError)"))
    assert found.kind == ENVIRONMENT and "outage" in found.why


# -- the same mechanism for channels and payouts: each product's rules over its objects' facts ---------------------
def _payment(status: str = "completed", context: str | None = None, recorded: dict | None = None) -> ObjectFacts:
    found = {"id": "pay-1", "status": status, "status_context": context, "paid_amount": "0.002",
             "paid_currency": "BTC", "received_amount": "99.00", "received_currency": "EUR", "fee": "1.00",
             "fee_currency": "EUR"}
    return ObjectFacts("pay-1", found=found, recorded=recorded, kind="channel payment")


def _channels(payment: ObjectFacts, balances: dict, step: str = "the customer has been credited nothing",
              **notes) -> Facts:
    return Facts(step=step, message="waited 8 s", objects=(payment,), balances=balances, product="channels",
                 notes={"declared": "net", "credit_rule": DEFAULT_CREDIT_RULE, **notes})


def test_a_channel_payment_credited_while_on_hold_is_channels_item_8() -> None:
    found = diagnose(_channels(_payment("on_hold", "illicit_resource"), {"EUR": Decimal("99.00")}))
    assert found.kind == DEFECT and found.fails == Item("channels", 8)
    assert found.why == ("the merchant credited channel payment pay-1, which Cryptopay reports as on_hold "
                         "(illicit_resource): the customer holds 99.00 EUR")


def test_the_other_declared_amount_is_channels_item_6_naming_both() -> None:
    found = diagnose(_channels(_payment(recorded={"status": "completed"}), {"EUR": Decimal("99.00")},
                               step="the customer has been credited the declared amount of the payment",
                               declared="gross"))
    assert found.fails == Item("channels", 6)
    assert "credited the net amount 99.00 EUR" in found.why and "declared gross (100.00 EUR)" in found.why


def test_a_channel_payment_credited_again_on_a_resend_is_channels_item_7() -> None:
    found = diagnose(_channels(_payment(recorded={"status": "completed"}), {"EUR": Decimal("198.00")},
                               step="the customer's balance still shows what the payment credited",
                               credited_before={"EUR": Decimal("99.00")}))
    assert found.fails == Item("channels", 7) and "99.00 EUR before, 198.00 EUR after" in found.why


def test_a_channel_payment_the_merchant_never_recorded_is_channels_item_4() -> None:
    found = diagnose(_channels(_payment(), {}, step="the merchant records the payment as completed"))
    assert found.fails == Item("channels", 4)
    assert found.why == "the merchant has no record of channel payment pay-1, which Cryptopay reports as completed"


AMOUNT_TABLE = [["field", "fees", "Cryptopay charges the merchant", "the recipient receives"],
                ["charged_amount", "deducted from the amount", "the amount", "the amount less the fees"],
                ["charged_amount_to_send", "added on top of the amount", "the amount plus the fees", "the amount"]]
WITHDRAWN = {"id": "cw-1", "status": "completed", "charged_amount": "20.00", "charged_currency": "EUR",
             "received_amount": "0.00037", "received_currency": "BTC", "network_fee": "0.000005", "fee": "0.0",
             "fee_currency": "BTC", "exchange": {"rate": "50000.0", "fee": "0.2"}}


def _payouts(recorded: dict | None = None, step: str = "the customer has been debited what Cryptopay charged for "
             "the payout, once", **notes) -> Facts:
    payout = ObjectFacts("cw-1", found=WITHDRAWN, recorded=recorded, kind="payout")
    return Facts(step=step, message="waited 8 s", objects=(payout,), balances={}, product="payouts", notes=notes)


def test_a_charge_that_is_not_what_the_declared_field_means_is_payouts_item_1() -> None:
    meaning = read_amount_fields(AMOUNT_TABLE).meaning("charged_amount_to_send")  # the fees should come on top
    found = diagnose(_payouts(step="Cryptopay reports charging what the table says for the merchant's field",
                              meaning=meaning, asked=Decimal("20.00")))
    assert found.kind == DEFECT and found.fails == Item("payouts", 1)
    assert found.why.startswith("the merchant declared PAYOUT_AMOUNT_FIELD=charged_amount_to_send")
    assert "charged_amount_to_send, the field declared in PAYOUT_AMOUNT_FIELD" in found.fix


def test_what_is_sent_when_it_is_not_what_the_declared_field_means_is_payouts_item_1_too() -> None:
    meaning = read_amount_fields(AMOUNT_TABLE).meaning("charged_amount")  # charged as asked; sent: 0.000395 BTC
    found = diagnose(_payouts(step="the recipient receives what the table says for the merchant's field", meaning=meaning,
                              asked=Decimal("20.00")))
    assert found.fails == Item("payouts", 1) and "Cryptopay sends 0.00037 BTC" in found.why
    assert found.why.startswith("the merchant declared PAYOUT_AMOUNT_FIELD=charged_amount, so the recipient should")


def test_a_debit_other_than_the_charge_is_payouts_item_5() -> None:
    found = diagnose(_payouts(recorded={"status": "completed", "debited": "20.30 EUR"}))
    assert found.fails == Item("payouts", 5)
    assert found.why == ("the merchant recorded debiting 20.30 EUR for payout cw-1, but Cryptopay charged 20.00 EUR "
                         "(its charged_amount)")


def test_a_payout_recorded_in_another_status_is_payouts_item_4() -> None:
    found = diagnose(_payouts(recorded={"status": "pending", "debited": "20.00 EUR"},
                              step="the merchant records the payout as completed"))
    assert found.fails == Item("payouts", 4) and "records payout cw-1 as pending" in found.why
    assert "GET /api/coin_withdrawals/{id}" in found.fix


def test_the_amount_given_back_at_a_failure_cryptopay_completed_after_all_is_payouts_item_6() -> None:
    found = diagnose(_payouts(recorded={"status": "completed", "debited": "20.00 EUR", "refunded": True},
                              notified=("pending", "failed", "completed")))
    assert found.kind == DEFECT and found.fails == Item("payouts", 6)
    assert found.why == ("the merchant gave the customer back what it debited for payout cw-1 when it failed, and "
                         "Cryptopay completed it: the customer has both the payout and the money back")
    assert "on hold and failed are not final" in found.fix


def test_the_amount_given_back_at_a_hold_that_ended_well_is_a_wrong_debit_payouts_item_5() -> None:
    found = diagnose(_payouts(recorded={"status": "completed", "debited": "20.00 EUR", "refunded": True},
                              notified=("pending", "on_hold", "processing", "sent", "completed")))
    assert found.kind == DEFECT and found.fails == Item("payouts", 5)
    assert "for payout cw-1 when Cryptopay held it, and Cryptopay completed it" in found.why
    unknown = diagnose(_payouts(recorded={"status": "completed", "debited": "20.00 EUR", "refunded": True}))
    assert unknown.fails == Item("payouts", 6) and "for payout cw-1, and Cryptopay completed it" in unknown.why


def test_a_cancelled_payout_given_back_many_times_is_payouts_item_6_and_says_how_often() -> None:
    facts = _payouts(recorded={"status": "cancelled", "debited": "20.00 EUR", "refunded": True},
                     step="the customer's balance shows the whole amount again, given back once",
                     funded=BalanceMark("EUR", Decimal("100.00")))
    cancelled = ObjectFacts("cw-1", found={**WITHDRAWN, "status": "cancelled"}, recorded=facts.objects[0].recorded,
                            kind="payout")
    found = diagnose(Facts(**{**facts.__dict__, "objects": (cancelled,), "balances": {"EUR": Decimal("360.00")}}))
    assert found.kind == DEFECT and found.fails == Item("payouts", 6)
    assert found.why == ("the merchant gave back the 20.00 EUR debited for payout cw-1, which Cryptopay cancelled, "
                         "14 times: the customer holds 360.00 EUR, given 100.00 EUR before")
    assert "uniqueness rule the database enforces" in found.fix
    once = Facts(**{**facts.__dict__, "objects": (cancelled,), "balances": {"EUR": Decimal("100.00")}})
    assert diagnose(once) is None  # given back once: nothing to say


def test_a_high_risk_payout_asked_for_again_is_payouts_item_7() -> None:
    found = diagnose(Facts(step="Cryptopay was asked for the customer's payout once, and refused it as high-risk",
                           message="Cryptopay was asked 2 times for a payout to 2Ng2 (custom ids p-1, p-1-retry; "
                                   "answers high_risk_address, high_risk_address)", product="payouts"))
    assert found.kind == DEFECT and found.fails == Item("payouts", 7)
    assert found.why.startswith("the merchant asked Cryptopay again for a payout it had refused as high-risk: "
                                "Cryptopay was asked 2 times")
    assert "never send the payout again" in found.fix


SIGNED_OFF = "Support, Finance, Fraud and Transaction Monitoring have each acknowledged how risk scoring and holds work"


def test_a_refused_signoff_names_its_own_reason_and_the_fix_that_goes_with_it() -> None:
    # Issue 24, point 4: every team is in the shipped file; the reason is that it is the reference merchant's.
    shipped = check_signoff(Path(__file__).resolve().parents[2] / "signoff.yml", date(2026, 12, 1))
    assert shipped.missing_teams == [] and {s.team for s in shipped.accepted} == set(TEAMS)
    error = AssertionError(f"{shipped.failure()}\nassert not '…'")
    found = diagnose(Facts(step=SIGNED_OFF, message=str(error)))
    assert found.kind == CONFIGURATION and found.fails == Item("invoices", 14)
    assert found.why.startswith("the go-live sign-off is not accepted: signoff.yml is the reference merchant's "
                                "example"), found.why
    assert "incomplete" not in found.text() and "add each team" not in found.fix
    assert "copy signoff.example.yml" in found.fix and "GO_LIVE_SIGNOFF_FILE" in found.fix
    # A team missing is named as such, with the fix for it.
    missing = diagnose(Facts(step=SIGNED_OFF, message="invoices sign-off not accepted: missing teams: Fraud\nassert"))
    assert missing.why == "the go-live sign-off is not accepted: missing teams: Fraud"
    assert missing.fix.startswith("add each team's acknowledgement")


# -- issue 23: an address paid again, a hold that ends well, notifications lost to a failed check or an early one ---
def test_a_deposit_address_paid_twice_and_credited_once_is_channels_item_5() -> None:
    first, second = _payment(recorded={"status": "completed"}), _payment(recorded={"status": "completed"})
    facts = _channels(first, {"EUR": Decimal("99.00")}, step="the customer has been credited the declared amount of "
                      "each payment")
    found = diagnose(Facts(**{**facts.__dict__, "objects": (first, second)}))
    assert found.fails == Item("channels", 5)
    assert "paid the same deposit address 2 times" in found.why and "198.00 EUR together" in found.why


def test_a_payment_credited_many_times_over_says_how_many() -> None:
    found = diagnose(_channels(_payment(recorded={"status": "completed"}), {"EUR": Decimal("2475.00")},
                               step="the customer has been credited the declared amount of the payment"))
    assert found.fails == Item("channels", 7) and "25 times (2475.00 EUR)" in found.why


def test_a_released_hold_still_recorded_on_hold_and_never_credited_is_channels_item_5() -> None:
    payment = _payment(recorded={"status": "on_hold", "status_context": "illicit_resource"})
    found = diagnose(_channels(payment, {}, step="the customer has been credited the declared amount of the payment"))
    assert found.fails == Item("channels", 5) and "took the hold of channel payment pay-1 for its end" in found.why


def test_a_notification_acknowledged_although_its_status_check_failed_is_the_notifications_item() -> None:
    lost = _facts(answers=[200, 200, 200, 200], recorded={"status": "new"}, balances={},
                  step="the merchant records the deposit as completed")
    lost = Facts(**{**lost.__dict__, "objects": (ObjectFacts(**{**lost.objects[0].__dict__,
                                                                "lost": ("status_changed",)}),)})
    found = diagnose(lost)
    assert found.fails == Item("invoices", 10)
    assert found.why.startswith("the merchant acknowledged the status_changed notification of invoice inv-1 although")
    # Answered with a failure and retried (nothing lost): the record's own rule tells, item 11.
    assert diagnose(_facts(answers=[200, 200, 200, 200], recorded={"status": "new"}, balances={},
                           step="the merchant records the deposit as completed")).fails == Item("invoices", 11)


def test_notifications_before_the_create_answer_acknowledged_and_dropped_are_the_notifications_item() -> None:
    payment = ObjectFacts(**{**_payment().__dict__, "answers": (200, 200), "early": True})
    found = diagnose(_channels(payment, {}, step="the merchant records the payment as completed"))
    assert found.fails == Item("channels", 3) and "before its answer to the merchant's create request" in found.why
    refused = ObjectFacts(**{**payment.__dict__, "answers": (503, 503)})  # not dropped: asked to be sent again
    assert "before its answer" not in diagnose(_channels(refused, {}, step="the merchant records the payment as "
                                                         "completed")).why
