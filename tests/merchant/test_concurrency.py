"""Exactly-once credit under concurrent duplicates: threads, processes and two merchant instances, on SQLite and
PostgreSQL. The database's UNIQUE constraint is what makes it hold, so only real concurrency can test it."""
from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER
from reference_merchant import create_app
from reference_merchant.confirmations import Confirmations
from reference_merchant.db import init_db, make_engine
from reference_merchant.deposits import FINAL
from reference_merchant.invoice_callbacks import InvoiceProcessor
from reference_merchant.ledger import Ledger
from support.targets.servers import ServerThread
from tests.merchant.harness import Shop, callback_bytes, merchant_config, running_shop, sqlite_url
from tests.merchant.posting import post_copies

COPIES = 50
LIMIT_SECONDS = 10.0
DUPLICATE = "already credited: no change"


class CountingGets:
    """The merchant's Cryptopay client, counting the confirming GETs it sends."""

    def __init__(self, client):
        self._client, self.gets = client, 0

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def retrieve_invoice(self, invoice_id: str) -> dict:
        self.gets += 1
        return self._client.retrieve_invoice(invoice_id)


def count_gets(shop: Shop) -> CountingGets:
    processor = shop.merchant_app.extensions["merchant"]["invoices"]
    processor.cryptopay = CountingGets(processor.cryptopay)
    return processor.cryptopay


def post_at_once(shop: Shop, body: bytes) -> list[tuple[int, float]]:
    """COPIES identical signed posts released together; (status, seconds) for each."""
    barrier, signature = threading.Barrier(COPIES), shop.sign(body)

    def one(_: int) -> tuple[int, float]:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            started = time.monotonic()
            status = session.post(shop.callback_url, data=body, timeout=30, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: signature}).status_code
            return status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        return list(pool.map(one, range(COPIES)))


def _completed_but_unseen(shop: Shop, customer: str) -> tuple[str, bytes]:
    invoice_id = shop.deposit(customer, "100.00")
    shop.wait_delivered(invoice_id)
    shop.pause_deliveries()  # only our copies reach the merchant
    return invoice_id, callback_bytes("status_changed", shop.pay_in_full(invoice_id))


def test_50_simultaneous_identical_completed_callbacks_credit_exactly_once(any_db_shop: Shop) -> None:
    shop = any_db_shop
    invoice_id, body = _completed_but_unseen(shop, "nina")
    counter = count_gets(shop)
    answers = post_at_once(shop, body)
    assert [status for status, _ in answers] == [200] * COPIES
    assert max(seconds for _, seconds in answers) < LIMIT_SECONDS
    assert shop.credit_rows(invoice_id) == 1
    assert shop.balances("nina") == {"EUR": Decimal("100.00")}
    outcomes = [c["outcome"] for c in shop.callbacks(invoice_id)][-COPIES:]
    assert outcomes.count("credited 100.0 EUR") == 1, outcomes
    assert outcomes.count(DUPLICATE) == COPIES - 1, outcomes
    # Copies queue behind one confirming GET and reuse its final answer: the storm costs one GET, not fifty.
    assert counter.gets == 1


def test_a_resent_storm_for_a_deposit_held_final_asks_cryptopay_nothing(shop: Shop) -> None:
    invoice_id, body = _completed_but_unseen(shop, "rosa")
    assert shop.post_callback(body).status_code == 200 and shop.credit_rows(invoice_id) == 1
    counter = count_gets(shop)
    assert [status for status, _ in post_at_once(shop, body)] == [200] * COPIES
    assert counter.gets == 0 and shop.credit_rows(invoice_id) == 1
    outcomes = [c["outcome"] for c in shop.callbacks(invoice_id)][-COPIES:]
    assert outcomes == [DUPLICATE] * COPIES


def test_after_a_restart_the_records_alone_answer_a_resend_for_a_deposit_held_final(shop: Shop) -> None:
    invoice_id, body = _completed_but_unseen(shop, "tomas")
    assert shop.post_callback(body).status_code == 200 and shop.credit_rows(invoice_id) == 1
    processor = shop.merchant_app.extensions["merchant"]["invoices"]
    processor.confirmations = Confirmations(final=FINAL)  # what a restarted merchant has: no answer kept in memory
    counter = count_gets(shop)
    assert shop.post_callback(body).status_code == 200
    assert counter.gets == 0 and shop.credit_rows(invoice_id) == 1
    assert shop.callbacks(invoice_id)[-1]["outcome"] == DUPLICATE


def test_the_constraint_alone_credits_once_when_every_copy_asks_cryptopay(tmp_path) -> None:
    """Without the shared confirmation (each copy its own GET, all applying at once) the UNIQUE constraint is
    still what keeps crediting exactly-once."""
    class AsksEveryTime(InvoiceProcessor):
        def confirmed_invoice(self, invoice_id: str, callback_data: dict) -> dict:
            return self.cryptopay.retrieve_invoice(invoice_id)

    with running_shop(sqlite_url(tmp_path), {"invoice_processor_cls": AsksEveryTime}) as shop:
        invoice_id, body = _completed_but_unseen(shop, "sven")
        counter = count_gets(shop)
        assert [status for status, _ in post_at_once(shop, body)] == [200] * COPIES
        assert shop.credit_rows(invoice_id) == 1 and shop.balances("sven") == {"EUR": Decimal("100.00")}
        assert counter.gets > 1  # the copies really did race, each with its own answer


def test_duplicates_from_several_processes_to_two_merchant_instances_credit_exactly_once(database_url: str) -> None:
    processes, per_process = 4, 15
    with running_shop(database_url) as shop:
        # A second instance of the merchant on the same database, as behind a load balancer.
        twin_app = create_app(merchant_config(database_url, shop.api_url, shop.key, shop.api_secret,
                                              shop.callback_secret, shop.token))
        twin = ServerThread(twin_app, "merchant-twin").start()
        try:
            invoice_id, body = _completed_but_unseen(shop, "oscar")
            urls = [shop.callback_url, f"{twin.url}/callbacks/cryptopay"]
            ctx = multiprocessing.get_context("spawn")
            barrier, results = ctx.Barrier(processes), ctx.Queue()
            workers = [ctx.Process(target=post_copies, args=(urls, body, shop.sign(body), per_process, barrier,
                                                             results)) for _ in range(processes)]
            for worker in workers:
                worker.start()
            statuses = [code for _ in workers for code in results.get(timeout=120)]
            for worker in workers:
                worker.join(timeout=30)
            assert statuses == [200] * processes * per_process
            assert all(worker.exitcode == 0 for worker in workers)
            assert shop.credit_rows(invoice_id) == 1
            assert shop.balances("oscar") == {"EUR": Decimal("100.00")}
        finally:
            twin.stop()
            twin_app.extensions["merchant"]["engine"].dispose()


def test_the_ledger_alone_credits_once_under_50_concurrent_calls(database_url: str) -> None:
    engine = make_engine(database_url)
    init_db(engine)
    ledger = Ledger(engine)
    barrier = threading.Barrier(COPIES)

    def one(_: int) -> bool:
        barrier.wait(timeout=30)
        return ledger.credit("inv-race", "pat", Decimal("12.50"), "EUR")

    try:
        with ThreadPoolExecutor(max_workers=COPIES) as pool:
            results = list(pool.map(one, range(COPIES)))
        assert results.count(True) == 1 and results.count(False) == COPIES - 1
        assert ledger.balances("pat") == {"EUR": "12.50"}
        assert ledger.credit("inv-other", "pat", Decimal("0.10"), "EUR")
        assert ledger.balances("pat") == {"EUR": "12.60"}
    finally:
        engine.dispose()
