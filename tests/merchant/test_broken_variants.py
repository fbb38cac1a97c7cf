"""Each deliberately broken merchant really has its defect, shown at merchant level over real HTTP; the reference
merchant, given the same moves, does not."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from tests.broken_channel_merchants import CHANNEL_VARIANTS
from tests.broken_merchants import VARIANTS
from tests.broken_payout_merchants import PAYOUT_VARIANTS
from tests.merchant.harness import Shop, callback_bytes, running_shop, sqlite_url

EXPIRY_SECONDS = 11 * 60


@pytest.fixture(params=["reference", "broken"])
def flavour(request: pytest.FixtureRequest) -> str:
    return request.param


def _shop(tmp_path: Path, variant: str, flavour: str):
    return running_shop(sqlite_url(tmp_path), VARIANTS[variant] if flavour == "broken" else {})


def _unseen(shop: Shop, customer: str, amount: str = "100.00") -> str:
    invoice_id = shop.deposit(customer, amount)
    shop.wait_delivered(invoice_id)
    shop.pause_deliveries()
    return invoice_id


def test_credits_on_resend(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_on_resend", flavour) as shop:
        invoice_id = _unseen(shop, "a")
        body = callback_bytes("status_changed", shop.pay_in_full(invoice_id))
        assert [shop.post_callback(body).status_code for _ in range(2)] == [200, 200]
        expected = Decimal("200.00") if flavour == "broken" else Decimal("100.00")
        assert shop.balances("a") == {"EUR": expected}


def _post_at_once(shop: Shop, body: bytes, copies: int = 50) -> set[int]:
    barrier, signature = threading.Barrier(copies), shop.sign(body)

    def one(_: int) -> int:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            return session.post(shop.callback_url, data=body, timeout=30, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: signature}).status_code

    with ThreadPoolExecutor(max_workers=copies) as pool:
        return set(pool.map(one, range(copies)))


def test_races_on_duplicates(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "races_on_duplicates", flavour) as shop:
        invoice_id = _unseen(shop, "b")
        body = callback_bytes("status_changed", shop.pay_in_full(invoice_id))
        assert [shop.post_callback(body).status_code for _ in range(3)] == [200, 200, 200]
        assert shop.balances("b") == {"EUR": Decimal("100.00")}  # one copy at a time: always one credit
        assert _post_at_once(shop, body) == {200}  # already credited, then 50 at once
        after_settled = shop.balances("b")["EUR"]
        shop.resume_deliveries()
        first_burst = _unseen(shop, "c")  # 50 at once as the very first delivery
        assert _post_at_once(shop, callback_bytes("status_changed", shop.pay_in_full(first_burst))) == {200}
        for credited in (after_settled, shop.balances("c")["EUR"]):
            if flavour == "broken":
                assert credited >= Decimal("200.00")  # simultaneous copies all acted on a stale check
            else:
                assert credited == Decimal("100.00")


def test_check_then_insert(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "check_then_insert", flavour) as shop:
        invoice_id = _unseen(shop, "k")
        body = callback_bytes("status_changed", shop.pay_in_full(invoice_id))
        assert _post_at_once(shop, body) == {200}  # the very first delivery, 50 copies at once
        credited = shop.balances("k")["EUR"]
        assert credited >= Decimal("200.00") if flavour == "broken" else credited == Decimal("100.00")
        assert [shop.post_callback(body).status_code for _ in range(2)] == [200, 200]
        assert shop.balances("k")["EUR"] == credited  # one at a time, the check does catch duplicates


def test_loses_customer_id(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "loses_customer_id", flavour) as shop:
        invoice_id = shop.deposit("m")
        listed = [i["id"] for i in shop.client.list_invoices(customer_id="m")["data"]]
        assert listed == ([] if flavour == "broken" else [invoice_id])


def test_credits_on_unresolved(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_on_unresolved", flavour) as shop:
        invoice_id = shop.deposit("d")
        shop.control.pay(invoice_id, Decimal(shop.invoice(invoice_id)["pay_amount"]) * 2)
        shop.wait_recorded(invoice_id, "unresolved", "overpaid")
        shop.wait_delivered(invoice_id)
        assert shop.balances("d") == ({"EUR": Decimal("100.00")} if flavour == "broken" else {})


def test_credits_original_amount(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_original_amount", flavour) as shop:
        invoice_id = shop.deposit("e")
        shop.control.pay(invoice_id, Decimal(shop.invoice(invoice_id)["pay_amount"]) / 2)
        shop.control.advance_clock(EXPIRY_SECONDS)
        shop.wait_recorded(invoice_id, "unresolved", "underpaid")
        shop.client.create_recalculation(invoice_id, force_commit=True)
        final = Decimal(shop.invoice(invoice_id)["price_amount"])
        shop.wait_recorded(invoice_id, "completed")
        shop.wait_delivered(invoice_id)
        expected = Decimal("100.00") if flavour == "broken" else final.quantize(Decimal("0.01"))
        assert final < Decimal("100.00") and shop.balances("e") == {"EUR": expected}


def test_skips_signature_check(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "skips_signature_check", flavour) as shop:
        invoice_id = _unseen(shop, "f")
        body = callback_bytes("status_changed", shop.pay_in_full(invoice_id))
        status = shop.post_callback(body, callback_signature("forger's guess", body)).status_code
        assert status == (200 if flavour == "broken" else 401)
        assert shop.balances("f") == ({"EUR": Decimal("100.00")} if flavour == "broken" else {})


def test_credits_on_transaction_confirmed(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_on_transaction_confirmed", flavour) as shop:
        invoice_id = shop.deposit("g")
        shop.control.pay(invoice_id, Decimal(shop.invoice(invoice_id)["pay_amount"]) / 2)
        shop.wait_delivered(invoice_id, at_least=3)  # created, transaction_created, transaction_confirmed
        assert shop.invoice(invoice_id)["status"] == "new" and shop.recorded(invoice_id)["status"] == "new"
        assert shop.balances("g") == ({"EUR": Decimal("100.00")} if flavour == "broken" else {})


def test_trusts_callback_body(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "trusts_callback_body", flavour) as shop:
        invoice_id = _unseen(shop, "h")
        unpaid = shop.invoice(invoice_id)
        # Correctly signed (a replayed or mis-ordered body), but the body's status is not Cryptopay's.
        body = callback_bytes("status_changed", {**unpaid, "status": "completed"})
        assert shop.post_callback(body).status_code == 200
        assert shop.invoice(invoice_id)["status"] == "new"
        if flavour == "broken":
            assert shop.balances("h") == {"EUR": Decimal("100.00")}
            assert shop.recorded(invoice_id)["status"] == "completed"
        else:
            assert shop.balances("h") == {} and shop.recorded(invoice_id)["status"] == "new"


def test_every_variant_has_a_test_here_and_a_docstring_naming_its_item() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    # The channel and payout variants are tested in test_broken_channel_variants.py / test_broken_payout_variants.py.
    assert set(VARIANTS) - set(CHANNEL_VARIANTS) - set(PAYOUT_VARIANTS) <= tested
    for kwargs in VARIANTS.values():
        for cls in kwargs.values():
            assert "item" in (cls.__doc__ or ""), cls


# -- issue 10, parts 3 and 6: raw bytes, body hashes -----------------------------------------------------------
from cryptopay_client.rails_json import rails_json  # noqa: E402
from cryptopay_emulator.backend import next_score  # noqa: E402
from support.drivers.waiting import wait_until  # noqa: E402

AWKWARD = "Dépôt <café> & crème — r"  # what every suite deposit's description carries


def test_reserialises_before_verifying(tmp_path: Path, flavour: str) -> None:
    """The emulator itself renders the awkward description into every callback: the broken merchant refuses
    Cryptopay's genuine notifications (401) and credits nothing; the reference merchant verifies the raw bytes."""
    with _shop(tmp_path, "reserialises_before_verifying", flavour) as shop:
        answer = shop.probe("POST", "/deposits", json={"customer_id": "r", "price_amount": "100.00",
                                                       "price_currency": "EUR", "pay_currency": "BTC",
                                                       "description": AWKWARD})
        invoice_id = answer.json()["invoice_id"]
        shop.pay_in_full(invoice_id)
        rows = wait_until(lambda: shop.control.deliveries(invoice_id),
                          lambda ds: len(ds) == 4 and all(d.attempted for d in ds), timeout=15,
                          expected="all four callbacks attempted")
        assert all("\\u003ccafé\\u003e \\u0026 crème" in d.body for d in rows)
        answers = {a.status_code for d in rows for a in d.attempts}
        assert answers == ({401} if flavour == "broken" else {200})
        assert shop.balances("r") == ({} if flavour == "broken" else {"EUR": Decimal("100.00")})


def test_reserialises_before_verifying_also_refuses_a_body_built_by_the_suite(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "reserialises_before_verifying", flavour) as shop:
        shop.pause_deliveries()  # only the suite's body reaches the merchant
        invoice_id = shop.deposit("q")
        body = rails_json({"type": "Invoice", "event": "status_changed",
                           "data": {**shop.pay_in_full(invoice_id), "description": AWKWARD}})
        assert shop.post_callback(body).status_code == (401 if flavour == "broken" else 200)


def test_dedupes_by_body_hash(tmp_path: Path, flavour: str) -> None:
    """The exact bytes again are caught by both; the same invoice re-read (a new risk score, same level) credits
    the broken merchant a second time."""
    with _shop(tmp_path, "dedupes_by_body_hash", flavour) as shop:
        invoice_id = _unseen(shop, "s")
        invoice = shop.pay_in_full(invoice_id)
        body = rails_json({"type": "Invoice", "event": "status_changed", "data": invoice})
        assert [shop.post_callback(body).status_code for _ in range(2)] == [200, 200]
        assert shop.balances("s") == {"EUR": Decimal("100.00")}
        risk = invoice["transactions"][0]["risk"]
        reread = {**invoice, "transactions": [{**invoice["transactions"][0],
                                               "risk": {**risk, "score": next_score(risk["level"], risk["score"])}}]}
        assert shop.post_callback(rails_json({"type": "Invoice", "event": "status_changed", "data": reread})
                                  ).status_code == 200
        assert shop.balances("s") == {"EUR": Decimal("200.00") if flavour == "broken" else Decimal("100.00")}


# -- issue 10, part 4: credits booked in the wrong currency ------------------------------------------------------
def test_books_everything_in_eur(tmp_path: Path, flavour: str) -> None:
    """A dollar deposit and a bitcoin deposit: the broken merchant books both amounts in euros."""
    with _shop(tmp_path, "books_everything_in_eur", flavour) as shop:
        for amount, currency in (("40.00", "USD"), ("0.0015", "BTC")):
            invoice_id = shop.deposit("u", amount, currency, "BTC")
            shop.pay_in_full(invoice_id)
            shop.wait_recorded(invoice_id, "completed")
            shop.wait_delivered(invoice_id, at_least=4)  # the completed notification was answered
        balances = shop.balances("u")
        if flavour == "broken":
            assert set(balances) == {"EUR"}, balances  # both credits, in a currency neither was priced in
        else:
            assert balances == {"USD": Decimal("40.00"), "BTC": Decimal("0.0015")}


def test_credits_price_less_fee(tmp_path: Path, flavour: str) -> None:
    """A deposit paid in full: the broken merchant credits the price less Cryptopay's fee, the reference the price."""
    with _shop(tmp_path, "credits_price_less_fee", flavour) as shop:
        invoice_id = shop.deposit("f")
        shop.pay_in_full(invoice_id)
        shop.wait_recorded(invoice_id, "completed")
        shop.wait_delivered(invoice_id, at_least=4)  # the completed notification was answered
        fee = Decimal(shop.invoice(invoice_id)["fee"])
        expected = Decimal("100.00") - fee if flavour == "broken" else Decimal("100.00")
        assert fee > 0 and shop.balances("f") == {"EUR": expected}


# -- issue 23: a deposit repeated, notifications before the create answer, acknowledged before processed ----------
def test_dedupes_credits_by_customer_amount(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "dedupes_credits_by_customer_amount", flavour) as shop:
        for _ in range(2):  # two deposits by one customer, the same amount in the same currency
            invoice_id = shop.deposit("n")
            shop.pay_in_full(invoice_id)
            shop.wait_recorded(invoice_id, "completed")
            shop.wait_delivered(invoice_id, at_least=4)
        assert shop.balances("n") == {"EUR": Decimal("100.00") if flavour == "broken" else Decimal("200.00")}


def test_ignores_unrecorded_invoice(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "ignores_unrecorded_invoice", flavour) as shop:
        shop.control.notify_before_create_answer("invoice", "o")  # paid in full the moment it exists
        invoice_id = shop.deposit("o")
        notice = shop.control.early_notifications()[0]
        # Every notification was answered before the merchant had Cryptopay's answer to its create call.
        assert (notice["used_by"], notice["before_answer"]) == (invoice_id, True)
        assert [(n["event"], n["answered"]) for n in notice["notifications"]] == [
            ("created", 200), ("transaction_created", 200), ("transaction_confirmed", 200), ("status_changed", 200)]
        assert shop.invoice(invoice_id)["status"] == "completed"
        if flavour == "broken":
            assert shop.balances("o") == {} and shop.recorded(invoice_id)["status"] == "new"
        else:
            assert shop.balances("o") == {"EUR": Decimal("100.00")}
            assert shop.recorded(invoice_id)["status"] == "completed"


def test_acknowledges_before_processing(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "acknowledges_before_processing", flavour) as shop:
        invoice_id = shop.deposit("p")
        paid = shop.control.pay(invoice_id, Decimal(shop.invoice(invoice_id)["pay_amount"]), confirmed=False)
        shop.wait_delivered(invoice_id, at_least=2)  # created, transaction_created
        shop.control.fail_reads(invoice_id, count=2)  # the GETs of transaction_confirmed and status_changed
        shop.control.confirm(paid["txid"])
        wait_until(lambda: shop.control.deliveries(invoice_id),
                   lambda ds: len(ds) == 4 and all(d.attempted for d in ds),
                   timeout=15, expected="every notification of the invoice attempted once")
        failed = shop.control.read_failures(invoice_id)[0]["failed"]
        assert [f["event"] for f in failed] == ["transaction_confirmed", "status_changed"]
        shop.control.advance(invoice_id, seconds=31)  # Cryptopay retries what was not acknowledged
        shop.wait_delivered(invoice_id, at_least=4)
        assert shop.invoice(invoice_id)["status"] == "completed"
        if flavour == "broken":
            assert shop.balances("p") == {} and shop.recorded(invoice_id)["status"] == "new"
        else:
            assert shop.balances("p") == {"EUR": Decimal("100.00")}
            assert shop.recorded(invoice_id)["status"] == "completed"


def test_acknowledges_before_processing_loses_a_channel_payment_too(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "acknowledges_before_processing", flavour) as shop:
        channel = shop.open_channel("q")
        payment = shop.pay_channel(channel, confirmed=False)
        shop.wait_payment_recorded(payment["id"], "pending")
        shop.wait_delivered(payment["id"])
        shop.control.fail_reads(channel["channel_id"], count=1)  # a channel's reads cover its payments'
        shop.control.confirm(payment["txid"])
        wait_until(lambda: shop.control.deliveries(payment["id"]),
                   lambda ds: len(ds) == 2 and all(d.attempted for d in ds),
                   timeout=15, expected="the completed notification attempted once")
        assert [f["event"] for f in shop.control.read_failures(channel["channel_id"])[0]["failed"]] == ["completed"]
        shop.control.advance(payment["id"], seconds=31)  # Cryptopay retries what was not acknowledged
        shop.wait_delivered(payment["id"], at_least=2)
        completed = shop.channel_payment(payment)
        credited = {completed["received_currency"]: Decimal(completed["received_amount"])}
        assert shop.balances("q") == ({} if flavour == "broken" else credited)
