"""The SQL adapter reads the same balances and invoice states as the probe, from the reference merchant's own
database file, and refuses what it cannot do or cannot read safely."""
from __future__ import annotations

from decimal import Decimal

import pytest

from support.drivers.merchant import MerchantAdapter, MerchantError, ProbeMerchant
from support.drivers.sql_adapter import SqlMerchant
from support.secrets import Secret
from tests.merchant.harness import Shop

BALANCE_QUERY = "SELECT currency, amount FROM credits WHERE customer_id = :customer_id"
INVOICE_QUERY = "SELECT status, status_context FROM deposits WHERE invoice_id = :invoice_id"


@pytest.fixture
def sql(shop: Shop):
    adapter = SqlMerchant(str(shop.engine.url), BALANCE_QUERY, INVOICE_QUERY)
    yield adapter
    adapter.close()


def test_it_reads_what_the_probe_reports(shop: Shop, sql: SqlMerchant) -> None:
    probe = ProbeMerchant(f"{shop.merchant_url}/probe", Secret(shop.token))
    first, second, held = shop.deposit("quinn", "10.00"), shop.deposit("quinn", "2.50"), shop.deposit("quinn")
    for invoice_id in (first, second):
        shop.pay_in_full(invoice_id)
        shop.wait_recorded(invoice_id, "completed")
    shop.pay_in_full(held, risk_level="high")
    shop.wait_recorded(held, "unresolved", "illicit_resource")
    assert sql.balances("quinn") == probe.balances("quinn") == {"EUR": Decimal("12.50")}
    for invoice_id in (first, held):
        assert sql.recorded_invoice(invoice_id) == probe.recorded_invoice(invoice_id)
    assert sql.recorded_invoice(held)["status_context"] == "illicit_resource"
    assert sql.recorded_invoice("no-such-invoice") is None and sql.balances("nobody") == {}
    assert sql.received_callbacks(first) is None


def test_deposits_need_the_merchants_checkout(shop: Shop, sql: SqlMerchant) -> None:
    with pytest.raises(MerchantError, match="checkout"):
        sql.create_deposit("rita", Decimal("5.00"), "EUR", "BTC")
    with_checkout = SqlMerchant(str(shop.engine.url), BALANCE_QUERY, INVOICE_QUERY,
                                deposit_url=f"{shop.merchant_url}/probe", deposit_token=Secret(shop.token))
    try:
        deposit = with_checkout.create_deposit("rita", Decimal("5.00"), "EUR", "BTC")
        assert with_checkout.recorded_invoice(deposit.invoice_id)["status"] == "new"
    finally:
        with_checkout.close()


def test_it_satisfies_the_adapter_interface_and_hides_passwords(sql: SqlMerchant) -> None:
    adapter: MerchantAdapter = sql
    assert all(callable(getattr(adapter, name)) for name in ("create_deposit", "balances", "recorded_invoice",
                                                             "received_callbacks"))
    hidden = SqlMerchant("postgresql+psycopg://shop:hunter2-secret@127.0.0.1:9/shop", BALANCE_QUERY, INVOICE_QUERY)
    assert "hunter2-secret" not in repr(hidden)
    with pytest.raises(MerchantError) as failed:
        hidden.balances("x")  # nothing listens on port 9
    assert "hunter2-secret" not in str(failed.value)
    hidden.close()


def test_bad_queries_and_float_amounts_are_refused_clearly(shop: Shop) -> None:
    with pytest.raises(ValueError, match=":customer_id"):
        SqlMerchant(str(shop.engine.url), "SELECT currency, amount FROM credits", INVOICE_QUERY)
    with pytest.raises(ValueError, match=":invoice_id"):
        SqlMerchant(str(shop.engine.url), BALANCE_QUERY, "SELECT status, status_context FROM deposits")
    floats = SqlMerchant(str(shop.engine.url), "SELECT 'EUR', 0.1 WHERE :customer_id IS NOT NULL", INVOICE_QUERY)
    with pytest.raises(MerchantError, match="floating-point"):
        floats.balances("x")
    floats.close()


def test_queries_cannot_change_the_merchants_data(shop: Shop) -> None:
    invoice_id = shop.deposit("sam", "1.00")
    writer = SqlMerchant(str(shop.engine.url), BALANCE_QUERY,
                         "UPDATE deposits SET status = 'completed' WHERE invoice_id = :invoice_id "
                         "RETURNING status, status_context")
    try:
        assert writer.recorded_invoice(invoice_id)["status"] == "completed"  # what the query saw...
        assert shop.recorded(invoice_id)["status"] == "new"  # ...was rolled back
    finally:
        writer.close()
