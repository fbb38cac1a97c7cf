"""The diagnosis rules on hand-made evidence: each symptom names its cause and its fix, configuration apart."""
from __future__ import annotations

from decimal import Decimal

from support.diagnosis import CONFIGURATION, DEFECT, DepositFacts, Facts, annotate, diagnose, final_answers
from support.waiting import WaitTimeout

COMPLETED = {"status": "completed", "price_amount": "50.05", "price_currency": "EUR", "customer_id": "c1"}


def _facts(answers=(), balances=None, invoice=COMPLETED, recorded=None, step="the customer's balance shows") -> Facts:
    deposit = DepositFacts("inv-1", (Decimal("100.00"), "EUR"), invoice=invoice, recorded=recorded,
                           answers=tuple(answers), source="Cryptopay's delivery log")
    return Facts(step=step, message="waited 8 s", deposits=(deposit,), balances=balances,
                 callback_url="http://shop.test/callbacks")


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
    assert first.startswith("Why (product defect): the merchant credited the requested 100.00 EUR")
    assert seen == "Seen: waited 8 s for customer c1 to have 50.05 EUR; last seen: {'EUR': 100.00}"
    assert not annotate(error, diagnose(_facts(answers=[401])))  # never twice


def test_final_answers_take_the_last_attempt_of_each_delivery() -> None:
    deliveries = [{"attempts": [{"status_code": None, "error": "refused"}, {"status_code": 200, "error": None}]},
                  {"attempts": []}, {"attempts": [{"status_code": None, "error": "timed out"}]}]
    assert final_answers(deliveries) == (200, "timed out")
