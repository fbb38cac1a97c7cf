"""Callbacks: signature before anything, unknown invoices/events/types acknowledged with no effect, failures
retried and then credited once, state never moves backwards, and the evidence log is read-only and secret-free."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import MetaData, select

from cryptopay_client.callbacks import callback_signature
from reference_merchant import MerchantConfig, create_app
from reference_merchant.callbacks import CallbackEnvelope
from reference_merchant.db import init_db, make_engine
from reference_merchant.deposits import Deposits
from reference_merchant.ledger import Ledger
from support.drivers.waiting import wait_until
from tests.merchant.harness import Shop, callback_bytes, running_shop, sqlite_url

RETRY_AFTER_SECONDS = 31  # the first retry comes 30 s (emulator time) after a failed delivery


def _paid_but_unseen(shop: Shop, customer: str, amount: str = "100.00") -> tuple[str, dict]:
    """A completed invoice whose callbacks the merchant has not seen yet (deliveries paused)."""
    invoice_id = shop.deposit(customer, amount)
    shop.wait_delivered(invoice_id)  # the `created` callback, so pausing cannot race it
    shop.pause_deliveries()
    return invoice_id, shop.pay_in_full(invoice_id)


def _state(shop: Shop, invoice_id: str, customer: str) -> tuple:
    return shop.recorded(invoice_id), shop.balances(customer), shop.credit_rows(invoice_id)


@pytest.mark.security
@pytest.mark.parametrize("forgery", ["missing", "wrong_secret", "tampered_body", "garbage", "empty"])
def test_a_bad_signature_is_refused_and_changes_nothing(shop: Shop, forgery: str) -> None:
    invoice_id, invoice = _paid_but_unseen(shop, "mallory")
    before = _state(shop, invoice_id, "mallory")
    logged_before = shop.callbacks(invoice_id)
    body = callback_bytes("status_changed", invoice)
    signature = {"missing": None, "wrong_secret": callback_signature("not-the-secret", body),
                 "tampered_body": shop.sign(body), "garbage": "zz" * 32, "empty": ""}[forgery]
    if forgery == "tampered_body":
        body = body.replace(b'"customer_id":"mallory"', b'"customer_id":"mallorx"')
        assert b"mallorx" in body
    response = shop.post_callback(body, signature)
    assert 400 <= response.status_code < 500
    assert _state(shop, invoice_id, "mallory") == before
    assert shop.callbacks(invoice_id) == logged_before  # nothing is parsed out of an unverified body
    # The very same body, correctly signed, is acted on: the refusal above was the signature's doing.
    good = callback_bytes("status_changed", invoice)
    assert shop.post_callback(good).status_code == 200
    assert shop.balances("mallory") == {"EUR": Decimal("100.00")}


def test_a_callback_for_an_invoice_this_merchant_never_created_is_acknowledged_and_not_credited(shop: Shop) -> None:
    foreign = shop.client.create_invoice(price_amount="70.0", price_currency="EUR", pay_currency="BTC",
                                         customer_id="intruder", custom_id="someone-elses-order")
    shop.control.pay(foreign["id"], Decimal(foreign["pay_amount"]))
    completed = shop.invoice(foreign["id"])
    assert completed["status"] == "completed"
    response = shop.post_callback(callback_bytes("status_changed", completed))
    assert response.status_code == 200
    assert shop.balances("intruder") == {} and shop.credit_rows(foreign["id"]) == 0
    assert shop.recorded(foreign["id"]) is None
    # Claiming one of OUR custom_ids does not help: Cryptopay's record of the invoice decides.
    ours = shop.deposit("victim")
    our_custom_id = shop.invoice(ours)["custom_id"]
    response = shop.post_callback(callback_bytes("status_changed", {**completed, "custom_id": our_custom_id}))
    assert response.status_code == 200 and shop.balances("victim") == {} and shop.balances("intruder") == {}


@pytest.mark.parametrize("kind,event", [("Invoice", "mystery_event"), ("Invoice", "paid"),
                                        ("CoinWithdrawal", "status_changed"), ("ChannelPayment", "completed"),
                                        ("Subscription", "status_changed")])
def test_unknown_events_and_other_types_are_acknowledged_with_no_effect(shop: Shop, kind: str, event: str) -> None:
    invoice_id, invoice = _paid_but_unseen(shop, "grace")
    before = _state(shop, invoice_id, "grace")
    response = shop.post_callback(callback_bytes(event, invoice, kind=kind))
    assert response.status_code == 200
    assert _state(shop, invoice_id, "grace") == before and before[0]["status"] == "new"
    shop.resume_deliveries()  # the real callbacks then do credit: the test could see a change had there been one
    shop.wait_recorded(invoice_id, "completed")
    shop.wait_delivered(invoice_id)
    assert shop.balances("grace") == {"EUR": Decimal("100.00")}


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"type":"Invoice"}', b'{"type":"Invoice","event":'
                                  b'"status_changed","data":{"id":{"nested":1}}}'])
def test_signed_but_malformed_bodies_are_refused_without_effect(shop: Shop, body: bytes) -> None:
    response = shop.post_callback(body)
    assert response.status_code == 400 and response.json()["outcome"].startswith("rejected")


class BrokenDatabase(Ledger):
    """The database refuses every credit while `down` is set."""
    down = True

    def credit(self, invoice_id, customer_id, amount, currency) -> bool:
        if type(self).down:
            raise ConnectionError("database went away")
        return super().credit(invoice_id, customer_id, amount, currency)


def test_a_processing_failure_answers_500_and_the_retry_credits_exactly_once(tmp_path) -> None:
    BrokenDatabase.down = True
    with running_shop(sqlite_url(tmp_path), {"ledger_cls": BrokenDatabase}) as shop:
        invoice_id = shop.deposit("heidi", "30.00")
        shop.pay_in_full(invoice_id)

        def failed_attempts() -> list[int]:
            return [a.status_code for d in shop.control.deliveries(invoice_id) for a in d.attempts
                    if d.event != "created"]
        wait_until(failed_attempts, lambda codes: len(codes) == 3, timeout=15, expected="three answered callbacks")
        assert failed_attempts() == [500, 500, 500] and shop.balances("heidi") == {}
        BrokenDatabase.down = False
        shop.control.advance_clock(RETRY_AFTER_SECONDS)
        shop.wait_delivered(invoice_id)
        assert shop.balances("heidi") == {"EUR": Decimal("30.00")} and shop.credit_rows(invoice_id) == 1
        outcomes = [c["outcome"] for c in shop.callbacks(invoice_id)]
        assert outcomes.count("credited 30.0 EUR") == 1, outcomes
        assert any(o.startswith("retry: processing failed (ConnectionError)") for o in outcomes), outcomes
        # The log says what the endpoint answered each time: the three refusals, then the acknowledgement.
        answered = [c["answered_status"] for c in shop.callbacks(invoice_id) if c["event"] != "created"]
        assert answered.count(500) == 3 and answered[-1] == 200, answered
        assert not any("database went away" in o for o in outcomes)  # exception text never reaches the evidence


def test_cryptopay_unreachable_answers_503_and_changes_nothing_until_the_retry(shop: Shop) -> None:
    invoice_id, invoice = _paid_but_unseen(shop, "ivan")
    cryptopay = shop.merchant_app.extensions["merchant"]["invoices"].cryptopay
    real_url, cryptopay.base_url = cryptopay.base_url, "http://127.0.0.1:9"  # discard port: nothing listens
    try:
        response = shop.post_callback(callback_bytes("status_changed", invoice))
    finally:
        cryptopay.base_url = real_url
    assert response.status_code == 503
    assert shop.recorded(invoice_id)["status"] == "new" and shop.balances("ivan") == {}
    assert shop.post_callback(callback_bytes("status_changed", invoice)).status_code == 200
    assert shop.balances("ivan") == {"EUR": Decimal("100.00")}


def test_out_of_order_callbacks_never_move_the_recorded_state_backwards(shop: Shop) -> None:
    invoice_id = shop.deposit("judy", "100.00")
    shop.pay_in_full(invoice_id)
    deliveries = shop.wait_delivered(invoice_id, at_least=4)
    shop.wait_recorded(invoice_id, "completed")
    # A late transaction_confirmed and a late `created` (status new) after completed: re-delivered now.
    for delivery in deliveries:
        if delivery.event in ("transaction_confirmed", "created"):
            shop.control.resend(delivery.id)
    shop.wait_delivered(invoice_id, at_least=len(deliveries) + 2)
    assert shop.recorded(invoice_id)["status"] == "completed"
    assert shop.balances("judy") == {"EUR": Decimal("100.00")}


def test_a_late_new_after_unresolved_keeps_the_deposit_unresolved(shop: Shop) -> None:
    invoice_id = shop.deposit("kurt", "100.00")
    shop.control.pay(invoice_id, Decimal(shop.invoice(invoice_id)["pay_amount"]) / 2)
    shop.control.advance_clock(11 * 60)
    shop.wait_recorded(invoice_id, "unresolved", "underpaid")
    deliveries = shop.wait_delivered(invoice_id, at_least=4)
    late = [d for d in deliveries if d.status == "new"]
    assert {d.event for d in late} == {"created", "transaction_created", "transaction_confirmed"}
    for delivery in late:
        shop.control.resend(delivery.id)
    shop.wait_delivered(invoice_id, at_least=len(deliveries) + len(late))
    assert shop.recorded(invoice_id) == {"invoice_id": invoice_id, "status": "unresolved",
                                         "status_context": "underpaid"}
    assert shop.balances("kurt") == {}


@pytest.mark.parametrize("later,earlier", [
    (("unresolved", "underpaid"), ("new", None)), (("completed", None), ("new", None)),
    (("completed", None), ("unresolved", "underpaid")), (("refunded", None), ("unresolved", "overpaid")),
    (("refunded", None), ("completed", None)), (("cancelled", None), ("new", None)),
    (("completed", None), ("refunded", None))])
def test_the_deposit_record_only_moves_forward(tmp_path, later: tuple, earlier: tuple) -> None:
    """What a stale answer racing a fresh one looks like: the fresher state is written first."""
    engine = make_engine(sqlite_url(tmp_path))
    init_db(engine)
    deposits = Deposits(engine)
    deposits.request("c-1", "kim", "10.00", "EUR")
    deposits.attach("c-1", "inv-1")
    assert deposits.record_status("inv-1", *later)
    assert not deposits.record_status("inv-1", *earlier)
    assert (deposits.get("inv-1")["status"], deposits.get("inv-1")["status_context"]) == later
    engine.dispose()


def test_the_callback_log_is_read_only_through_the_probe_and_holds_no_secrets(shop: Shop) -> None:
    invoice_id = shop.deposit("leo", "12.00")
    shop.pay_in_full(invoice_id)
    shop.wait_delivered(invoice_id, at_least=4)
    forged = callback_bytes("status_changed", shop.invoice(invoice_id))
    assert shop.post_callback(forged, "f" * 64).status_code == 401
    logged = shop.callbacks(invoice_id)
    assert [c["event"] for c in logged] == ["created", "transaction_created", "transaction_confirmed",
                                            "status_changed"]
    assert all(c["signature_valid"] and json.loads(c["raw_body"])["data"]["id"] == invoice_id for c in logged)
    assert {"received_at", "event", "signature_valid", "answered_status", "outcome", "raw_body"} <= set(logged[0])
    assert [c["answered_status"] for c in logged] == [200, 200, 200, 200]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert shop.probe(method, f"/invoices/{invoice_id}/callbacks").status_code == 405
    assert shop.probe("GET", f"/invoices/{invoice_id}/callbacks", token="wrong").status_code == 401
    assert shop.callbacks(invoice_id) == logged
    # No secret, and no signature (derived from the secret), anywhere in what is returned or stored.
    signatures = [shop.sign(json.loads(c["raw_body"]) and c["raw_body"].encode()) for c in logged]
    dump = _database_dump(shop) + json.dumps(logged)
    for value in shop.secret_values() + signatures:
        assert value not in dump
    assert "f" * 64 not in dump


def _database_dump(shop: Shop) -> str:
    meta = MetaData()
    meta.reflect(shop.engine)
    with shop.engine.connect() as conn:
        return "\n".join(repr(row) for table in meta.sorted_tables for row in conn.execute(select(table)))


def test_every_callback_is_answered_within_the_10_second_limit(shop: Shop) -> None:
    invoice_id = shop.deposit("mia", "5.00")
    shop.pay_in_full(invoice_id)
    deliveries = shop.wait_delivered(invoice_id, at_least=4)
    durations = [a.duration_ms for d in deliveries for a in d.attempts]
    assert durations and max(durations) < 10_000 and all(a.status_code == 200 for d in deliveries
                                                         for a in d.attempts)


def test_secrets_stay_out_of_reprs_and_configuration_errors(tmp_path) -> None:
    config = MerchantConfig(database_url=sqlite_url(tmp_path), cryptopay_api_url="http://127.0.0.1:9",
                            api_key="key", api_secret="api-secret-value", callback_secret="cb-secret-value",
                            probe_token="token-value")
    app = create_app(config)
    envelope: CallbackEnvelope = app.extensions["merchant"]["callbacks"]
    for text in (repr(config), repr(envelope), repr(app.extensions["merchant"]["invoices"].cryptopay)):
        assert not any(s in text for s in ("api-secret-value", "cb-secret-value", "token-value"))
    app.extensions["merchant"]["engine"].dispose()
    with pytest.raises(ValueError, match="callback_secret, probe_token") as refused:
        create_app(MerchantConfig(database_url=sqlite_url(tmp_path), cryptopay_api_url="http://127.0.0.1:9",
                                  api_key="key", api_secret="api-secret-value", callback_secret=" ",
                                  probe_token=""))
    assert "api-secret-value" not in str(refused.value)
