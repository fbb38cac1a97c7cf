"""Steps of the concepts every product shares, each defined once and generated for each product from its adapter
(support/domain/concepts.py): what Cryptopay reports, what the merchant records (and still records), whether the two
match, a notification sent again once or many times at once, its very first delivery reaching the merchant many
times at once, a forged one, and which notifications Cryptopay sent and the merchant acknowledged. The object's noun
is the product's ("the deposit", "the payment", "the payout"); the Thens on the merchant's answers to them are
callbacks.py's, one set for all three."""
from __future__ import annotations

import re

import parse
import pytest
from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import KINDS, all_answered, send_badly_signed
from support.domain.concepts import (ProductAdapter, acknowledged, both_statuses, notifications_seen, record_status,
                                     recorded_as, reported, scenario_lookup)
from support.domain.parameters import Status, notification_list, parse_status
from support.domain.products import ADAPTERS, scenario_objects
from support.domain.resend import ResendResult, resend_once, resend_storm, resent_evidence
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import MerchantAdapter
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.evidence.resends import attach_storm, warn_about_retries


def words_of(product: ProductAdapter) -> dict:
    """The parse types of a product's sentences: a status, its notifications' names (one, or a list of them),
    a kind of bad signature, and what a forged notification is about."""
    names = tuple(product.notifications)
    return {"Status": parse_status, "Names": notification_list(names), "Name": words("|".join(map(re.escape, names))),
            "Kind": words("|".join(KINDS)), "Subject": words(product.subject)}


def words(pattern: str):
    """A parse type taking the text as it is, where it matches `pattern`."""
    return parse.with_pattern(pattern)(lambda text: text)


def shared_steps(product: ProductAdapter, stacklevel: int = 1) -> None:
    """Declares the shared concepts' steps for one product in the module that calls it (pytest-bdd's way of
    generating a concept's steps per subject: `stacklevel` tells its decorators where the steps belong)."""
    noun, at, types = product.noun, stacklevel + 1, words_of(product)
    title = product.kind.capitalize()

    def text(sentence: str) -> parsers.StepParser:
        return parsers.cfparse(sentence, extra_types=types)

    def scenario_object(request: pytest.FixtureRequest):
        return product.thing(request.getfixturevalue(product.fixture))

    @given(text(f"Cryptopay has reported the {noun} as {{status:Status}}"), stacklevel=at)
    @then(text(f"Cryptopay reports the {noun} as {{status:Status}}"), stacklevel=at)
    def cryptopay_reports(request: pytest.FixtureRequest, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                          status: Status, evidence: Evidence, wait_timeout: float) -> None:
        found = reported(product, cryptopay, control, scenario_object(request), status, wait_timeout)
        evidence.attach_json(f"{title} as Cryptopay reports it ({status.words})", found)

    @given(text(f"the merchant has recorded the {noun} as {{status:Status}}"), stacklevel=at)
    @then(text(f"the merchant records the {noun} as {{status:Status}}"), stacklevel=at)
    def merchant_records(request: pytest.FixtureRequest, merchant: MerchantAdapter, control: EmulatorControl | None,
                         status: Status, evidence: Evidence, wait_timeout: float) -> None:
        thing = scenario_object(request)
        record = recorded_as(product, merchant, thing, status, wait_timeout,
                             all_answered([product.object_id(thing)], control))
        evidence.attach_json(f"{title} as the merchant records it", record)
        problem = product.record_problem(record, thing)
        assert problem is None, problem

    @then(text(f"the merchant still records the {noun} as {{status:Status}}"), stacklevel=at)
    def merchant_still_records(request: pytest.FixtureRequest, merchant: MerchantAdapter, status: Status,
                               evidence: Evidence) -> None:
        thing = scenario_object(request)
        record = product.recorded(merchant, thing)  # read at once: what moved it would already have been answered
        evidence.attach_json(f"{title} as the merchant records it", record)
        assert record is not None and record_status(record) == status, (
            f"the merchant should still record {product.named(thing)} as {status.words}; it records {record}")

    @then(text(f"the merchant's recorded status of the {noun} matches Cryptopay's"), stacklevel=at)
    def statuses_match(request: pytest.FixtureRequest, merchant: MerchantAdapter, cryptopay: CryptopayDriver,
                       evidence: Evidence, wait_timeout: float) -> None:
        thing = scenario_object(request)
        seen = wait_until(lambda: both_statuses(product, cryptopay, merchant, thing),
                          lambda pair: pair["cryptopay"] == pair["merchant"], timeout=wait_timeout,
                          expected=f"the merchant's record of {product.named(thing)} to match Cryptopay's GET")
        evidence.attach_json("Cryptopay's status and the merchant's", seen)

    @when(text(f'Cryptopay sends the "{{name:Name}}" notification of the {noun} again'), target_fixture="resend",
          stacklevel=at)
    def resend_again(request: pytest.FixtureRequest, name: str, control: EmulatorControl | None,
                     cryptopay: CryptopayDriver, callback_sender: CallbackSender, evidence: Evidence,
                     wait_timeout: float) -> ResendResult:
        result = resend_once(product, name, scenario_object(request), control, cryptopay, callback_sender,
                             wait_timeout)
        evidence.attach_json(f"Resent '{name}' notification", resent_evidence(result))
        warn_about_retries(result, evidence)
        return result

    @when(text(f'Cryptopay sends the "{{name:Name}}" notification of the {noun} {{times:d}} times at once'),
          target_fixture="resend", stacklevel=at)
    def resend_at_once(request: pytest.FixtureRequest, name: str, times: int, control: EmulatorControl | None,
                       cryptopay: CryptopayDriver, callback_sender: CallbackSender, evidence: Evidence,
                       wait_timeout: float) -> ResendResult:
        result = resend_storm(product, name, times, scenario_object(request), control, cryptopay, callback_sender,
                              wait_timeout)
        attach_storm(result, f"Concurrent '{name}' notifications", evidence)
        return result

    @when(text(f'the "{{name:Name}}" notification of the {noun} reaches the merchant {{times:d}} times at once'),
          target_fixture="resend", stacklevel=at)
    def first_delivery_at_once(request: pytest.FixtureRequest, name: str, times: int, emulator: EmulatorControl,
                               cryptopay: CryptopayDriver, callback_sender: CallbackSender, evidence: Evidence,
                               wait_timeout: float) -> ResendResult:
        # The very first delivery, held back ("Cryptopay's notifications to the merchant are delayed"), as `times`
        # copies at once: nothing was given or credited for it yet, so only a rule the merchant's database enforces
        # decides; then Cryptopay's delayed notifications go out as usual.
        thing = scenario_object(request)
        held = emulator.delivery(product.object_id(thing), product.notifications[name].event,
                                 product.notifications[name].status)
        assert held is not None and not held.attempted, (
            f"the '{name}' notification of {product.named(thing)} was already delivered: delay Cryptopay's "
            "notifications before it is sent")
        result = resend_storm(product, name, times, thing, emulator, cryptopay, callback_sender, wait_timeout)
        attach_storm(result, f"First '{name}' notification of the {noun}, {times} copies at once", evidence)
        emulator.resume_deliveries()
        return result

    @when(text(f'someone sends the merchant a {{kind:Kind}} "{{name:Name}}" notification of {{subject:Subject}}'),
          target_fixture="resend", stacklevel=at)
    def bad_notification(request: pytest.FixtureRequest, kind: str, name: str, subject: str,
                         cryptopay: CryptopayDriver, callback_sender: CallbackSender,
                         evidence: Evidence) -> ResendResult:
        claim, body, earlier = product.claimed(subject, name, scenario_lookup(request), cryptopay)
        answer = send_badly_signed(kind, body, product.amount_field, earlier, callback_sender)
        evidence.attach_json(f"A {kind} '{name}' notification of {subject}", {"claimed": claim,
                                                                               "merchant_answer": answer})
        return ResendResult(kind, [answer])

    @then(text(f"Cryptopay sent the merchant the {{names:Names}} notifications of the {noun}, and each was "
               "acknowledged"), stacklevel=at)
    def notified(request: pytest.FixtureRequest, names: tuple[str, ...], control: EmulatorControl | None,
                 merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                 wait_timeout: float) -> None:
        thing, wanted = scenario_object(request), [product.notifications[name] for name in names]
        if product.moves_time:  # Cryptopay's time moves it on to the last status named: then all were sent
            reported(product, cryptopay, control, thing, Status(wanted[-1].status), wait_timeout)
        seen = notifications_seen(product, thing, control, merchant)
        if seen is None:
            pytest.skip("neither Cryptopay's delivery log nor the merchant's callback log is visible to the suite"
                        + (f"; offer the probe extension {product.merchant_log_route} to prove this item"
                           if product.merchant_log_route else ""))
        rows = wait_until(lambda: notifications_seen(product, thing, control, merchant)[1],
                          lambda found: acknowledged(found, wanted), timeout=wait_timeout,
                          expected=f"the {', '.join(names)} notifications of {product.named(thing)} delivered and "
                                   "acknowledged (200)")
        evidence.attach_json(f"Notifications of the {noun}, from {seen[0]}", rows)


for _product in ADAPTERS.values():
    shared_steps(_product)


# One sentence for every product that holds risky payments (a deposit's, a payment to a deposit address): the
# scenario's object says which.
@given(parsers.cfparse("Cryptopay's monitoring team has decided the held payment is {decision}"))
@when(parsers.cfparse("Cryptopay's monitoring team decides the held payment is {decision}"))
def monitoring_decides(request: pytest.FixtureRequest, emulator: EmulatorControl, decision: str,
                       evidence: Evidence) -> None:
    outcome = {"legitimate": "completed", "illicit": "refunded"}[decision]
    product, thing = scenario_objects(scenario_lookup(request))[-1]
    evidence.attach_json("Monitoring team's decision", product.decide_hold(emulator, thing, outcome))
