"""Steps about Cryptopay's notifications (callbacks): the merchant's answers to them (one set of Thens for every
product), late ones, ones for invoices the merchant never made, a merchant Cryptopay cannot reach, and Cryptopay
failing the merchant's status check while it handles one (any product)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import (acknowledgement_problem, closed_port_url, completed_delivery,
                                      earlier_callback_body, rejection_problem, wait_for_failed_attempt)
from support.domain.concepts import scenario_lookup
from support.domain.customers import Customer
from support.domain.deposits import DEPOSITS
from support.domain.hiccups import FailingChecks, answered_despite_failures, fail_status_checks, quoted_names
from support.domain.parameters import notification_list
from support.domain.products import scenario_objects
from support.domain.resend import ResendResult, resend_storm
from support.drivers.callbacks import CallbackSender, completed_callback_body
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter, deposit_description
from support.drivers.payers import Payer
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.evidence.resends import attach_storm
from support.targets.settings import Settings

# Cryptopay retries a failed delivery 30 s after the attempt: a second more and the first retry is due.
FIRST_RETRY_DUE_SECONDS = 31
UNKNOWN_INVOICE_PRICE = "25.0"  # EUR; any price will do, the merchant never created the invoice


# The notifications of an invoice that come before it completes, by the features' names.
EARLIER = notification_list(("payment seen", "payment confirmed"))


@when(parsers.cfparse("an earlier {names:Earlier} notification of the deposit arrives late",
                      extra_types={"Earlier": EARLIER}), target_fixture="resend")
def earlier_arrives_late(deposit: Deposit, names: tuple[str, ...], control: EmulatorControl | None,
                         cryptopay: CryptopayDriver, callback_sender: CallbackSender,
                         evidence: Evidence) -> ResendResult:
    answers = []
    for name in names:
        event = DEPOSITS.notifications[name].event
        body = earlier_callback_body(deposit.invoice_id, event, control, cryptopay.invoice(deposit.invoice_id))
        answers.append(callback_sender.post_signed(body))
        evidence.attach_json(f"Late '{name}' notification", {"body": body.decode(), "merchant_answer": answers[-1]})
    return ResendResult(f"late {', '.join(names)} re-posted", answers)


@given("an invoice in the merchant's account that its checkout never created has been completed for that customer",
       target_fixture="foreign_invoice")
def foreign_invoice(cryptopay: CryptopayDriver, payer: Payer, customer: Customer, evidence: Evidence,
                    wait_timeout: float, settings: Settings) -> dict:
    # Created straight through the API, not through the merchant's checkout: the merchant never saw it.
    invoice = cryptopay.client.create_invoice(price_amount=UNKNOWN_INVOICE_PRICE, price_currency="EUR",
                                              pay_currency=settings.payment_coin,
                                              customer_id=customer.id, description=deposit_description(customer.id))
    payer.pay(invoice, Decimal(invoice["pay_amount"]))
    invoice = cryptopay.wait_for_status(invoice["id"], "completed", None, wait_timeout)
    evidence.attach_json("Invoice the merchant never created", invoice)
    return invoice


@when('Cryptopay\'s "completed" notification of that invoice reaches the merchant', target_fixture="resend")
def foreign_notification(foreign_invoice: dict, callback_sender: CallbackSender) -> ResendResult:
    return ResendResult("signed completed notification", [callback_sender.post_signed(
        completed_callback_body(foreign_invoice))])


@then("the merchant has no record of that invoice")
def no_record(merchant: MerchantAdapter, foreign_invoice: dict) -> None:
    recorded = merchant.recorded_invoice(foreign_invoice["id"])
    assert recorded is None, f"the merchant recorded an invoice it never created: {recorded}"


@then("the merchant acknowledged every notification")
def acknowledged_all(resend: ResendResult, callback_sender: CallbackSender) -> None:
    """Every notification must end answered 200; interim 5xx answers that a retry cleared are only a warning."""
    problem = acknowledgement_problem(resend.answers, callback_sender.callback_url)
    assert problem is None, problem + (f"; answers of the retried ones: {[list(h) for h in resend.retried]}"
                                       if resend.retried else "")


@then("the merchant refused the notification")
def refused(resend: ResendResult, callback_sender: CallbackSender) -> None:
    """Only the signature check's refusal (400, 401, 403) counts: a 404 from a mistyped URL proves nothing."""
    problem = rejection_problem(resend.answers, resend.how, callback_sender.callback_url)
    assert problem is None, problem


@dataclass(frozen=True)
class SavedCallbackUrl:
    url: str | None


@given("Cryptopay cannot reach the merchant", target_fixture="saved_callback_url")
def merchant_unreachable(emulator: EmulatorControl, evidence: Evidence,
                         request: pytest.FixtureRequest) -> SavedCallbackUrl:
    original = SavedCallbackUrl(emulator.callback_url())
    request.addfinalizer(lambda: emulator.set_callback_url(original.url))  # restored even if the scenario fails
    emulator.set_callback_url(closed_port_url())
    evidence.attach_text("Outage", "Cryptopay's callback URL now leads to a closed port (connection refused)")
    return original


@given('Cryptopay has failed to deliver the "completed" notification')
def delivery_failed(emulator: EmulatorControl, deposit: Deposit, evidence: Evidence, wait_timeout: float) -> None:
    evidence.attach_json("Failed delivery",
                         wait_for_failed_attempt(emulator, deposit.invoice_id, wait_timeout).evidence())


@given("the merchant is reachable again")
def merchant_back(emulator: EmulatorControl, saved_callback_url: SavedCallbackUrl, evidence: Evidence) -> None:
    emulator.set_callback_url(saved_callback_url.url)
    evidence.attach_text("Recovery", "callback URL restored")


@when("Cryptopay's first retry falls due")
def first_retry_due(emulator: EmulatorControl, request: pytest.FixtureRequest, evidence: Evidence) -> None:
    # The retry belongs to the object's time (the scenario's last): moving it on brings it, and nothing else moves.
    product, thing = scenario_objects(scenario_lookup(request))[-1]
    moved = emulator.advance(product.object_id(thing), FIRST_RETRY_DUE_SECONDS)
    evidence.attach_json(f"Time passed for the {product.kind} (emulator)", moved)


@then("Cryptopay's delivery log shows the failed attempt and the successful retry")
def retried(emulator: EmulatorControl, deposit: Deposit, evidence: Evidence, wait_timeout: float) -> None:
    delivery = wait_until(lambda: completed_delivery(emulator, deposit.invoice_id),
                          lambda d: d is not None and d.state == "delivered", timeout=wait_timeout,
                          expected="the retried 'completed' notification to be delivered")
    evidence.attach_json("Delivery attempts of the 'completed' notification", [asdict(a) for a in delivery.attempts])
    answers = [attempt.status_code for attempt in delivery.attempts]
    assert len(answers) >= 2 and answers[0] is None and answers[-1] == 200, (
        f"expected a refused attempt then a 200 retry, the log shows {list(delivery.answers)}")


# -- a status check that fails while the merchant handles a notification (any product) ---------------------------
@given(parsers.cfparse("Cryptopay will fail the merchant's status check of the {noun} once while it handles {which}"),
       target_fixture="failing_checks")
def status_checks_fail(emulator: EmulatorControl, request: pytest.FixtureRequest, noun: str, which: str,
                       evidence: Evidence, wait_timeout: float) -> FailingChecks:
    found = [(adapter, thing) for adapter, thing in scenario_objects(scenario_lookup(request)) if adapter.noun == noun]
    if not found:
        raise ValueError(f"the scenario has no {noun} yet: say how it was made before its status check fails")
    product, thing = found[-1]
    checks, armed = fail_status_checks(emulator, product, product.object_id(thing), quoted_names(product, which),
                                       wait_timeout)
    evidence.attach_json("Cryptopay's status checks set to fail (emulator)", {"notifications": checks.names,
                                                                             "armed": armed})
    return checks


@given("the merchant has answered that notification")
@given("the merchant has answered those notifications")
def answered_those(emulator: EmulatorControl, failing_checks: FailingChecks, evidence: Evidence,
                   wait_timeout: float) -> None:
    evidence.attach_json("The merchant's status checks Cryptopay failed, and its answers to those notifications",
                         answered_despite_failures(emulator, failing_checks, wait_timeout))


@given("Cryptopay's notifications to the merchant are delayed")
def holding_back(emulator: EmulatorControl, request: pytest.FixtureRequest) -> None:
    request.addfinalizer(emulator.resume_deliveries)  # released at the end, whatever the verdict
    emulator.pause_deliveries()


@when(parsers.cfparse('the "completed" notification reaches the merchant {times:d} times at once, Cryptopay\'s own '
                      'held back'), target_fixture="resend")
def first_delivery_storm(deposit: Deposit, times: int, emulator: EmulatorControl, cryptopay: CryptopayDriver,
                         callback_sender: CallbackSender, evidence: Evidence, wait_timeout: float) -> ResendResult:
    # Unlike the shared step (steps/concepts.py), Cryptopay's own delivery stays held until the scenario ends: a
    # merchant that credits every copy and takes the extra credits back on the next delivery ("replace the credit")
    # must be seen between the two, as its customer could spend them there.
    result = resend_storm(DEPOSITS, "completed", times, deposit, emulator, cryptopay, callback_sender, wait_timeout)
    attach_storm(result, "First 'completed' notification, many copies at once", evidence)
    return result
