"""The SQL adapter reads the same balances and invoice states as the probe, from the reference merchant's own
database file, and refuses what it cannot do or cannot read safely."""
from __future__ import annotations

from decimal import Decimal

import pytest

from support.drivers.merchant import MerchantAdapter, MerchantError, ProbeMerchant
from support.drivers.sql_adapter import SqlMerchant
from support.targets.secrets import Secret
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


# -- probe v2 products: channel payments and payouts read through the documented queries (docs/adapters.md) -------
V2_BALANCE_QUERY = (BALANCE_QUERY + " UNION ALL SELECT currency, amount FROM balance_moves "
                    "WHERE customer_id = :customer_id")
CHANNEL_PAYMENT_QUERY = ("SELECT p.channel_id, c.customer_id, p.status, p.status_context FROM channel_payments p "
                         "JOIN channels c ON c.channel_id = p.channel_id "
                         "WHERE p.channel_payment_id = :channel_payment_id")
PAYOUT_QUERY = ("SELECT coin_withdrawal_id, customer_id, status, debited_amount, debited_currency, refunded "
                "FROM payouts WHERE payout_id = :payout_id")
# The reference merchant derives debited/refunded from its ledger, so its own payout query joins it in.
REFERENCE_PAYOUT_QUERY = (
    "SELECT p.coin_withdrawal_id, p.customer_id, p.status, "
    "CASE WHEN d.amount IS NULL THEN NULL ELSE substr(d.amount, 2) END, d.currency, r.id IS NOT NULL "
    "FROM payouts p LEFT JOIN balance_moves d ON d.kind = 'payout_debit' AND d.reference = p.payout_id "
    "LEFT JOIN balance_moves r ON r.kind = 'payout_refund' AND r.reference = p.payout_id "
    "WHERE p.payout_id = :payout_id")


def test_channel_payments_and_payouts_read_what_the_probe_reports(tmp_path) -> None:
    from tests.merchant.harness import PAYOUT_OPTIONS, running_shop, sqlite_url

    with running_shop(sqlite_url(tmp_path), **PAYOUT_OPTIONS) as shop:
        shop.fund_account(EUR="1000.0")
        probe = ProbeMerchant(f"{shop.merchant_url}/probe", Secret(shop.token))
        sql = SqlMerchant(str(shop.engine.url), V2_BALANCE_QUERY, INVOICE_QUERY, f"{shop.merchant_url}/probe",
                          Secret(shop.token), channel_payment_query=CHANNEL_PAYMENT_QUERY,
                          payout_query=REFERENCE_PAYOUT_QUERY)
        try:
            assert sql.capabilities() == frozenset({"invoices", "channels", "payouts"})
            channel = sql.open_channel("una", "BTC", "EUR")
            held = shop.control.pay_channel(channel.address, Decimal("0.002"), risk_level="high")
            shop.wait_payment_recorded(held["id"], "on_hold", "illicit_resource")
            assert sql.recorded_channel_payment(held["id"]) == probe.recorded_channel_payment(held["id"])
            assert sql.recorded_channel_payment("never-seen") is None
            assert sql.fund_customer("una", Decimal("100.00"), "EUR") == {"EUR": Decimal("100.00")}
            placed = sql.request_payout("una", Decimal("20.00"), "EUR", "BTC", "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ")
            shop.control.fail_withdrawal(placed.coin_withdrawal_id)
            shop.wait_payout_recorded(placed.payout_id, "cancelled")
            assert sql.recorded_payout(placed.payout_id) == probe.recorded_payout(placed.payout_id)
            assert sql.recorded_payout(placed.payout_id).refunded is True
            assert sql.balances("una") == probe.balances("una") == {"EUR": Decimal("100.00")}
        finally:
            sql.close()


def test_without_a_query_a_product_is_not_offered_rather_than_failed(shop: Shop) -> None:
    with_probe = SqlMerchant(str(shop.engine.url), BALANCE_QUERY, INVOICE_QUERY, f"{shop.merchant_url}/probe",
                             Secret(shop.token), channel_payment_query=CHANNEL_PAYMENT_QUERY)
    alone = SqlMerchant(str(shop.engine.url), BALANCE_QUERY, INVOICE_QUERY, payout_query=PAYOUT_QUERY)
    try:
        assert with_probe.capabilities() == frozenset({"invoices", "channels"})
        with pytest.raises(MerchantError, match="MERCHANT_SQL_PAYOUT_QUERY"):
            with_probe.recorded_payout("p")
        assert alone.capabilities() == frozenset({"invoices"})  # no probe: it cannot say what else is integrated
        with pytest.raises(MerchantError, match="POST /payouts"):
            alone.request_payout("x", Decimal("1"), "EUR", "BTC", "a")
    finally:
        with_probe.close()
        alone.close()
    with pytest.raises(ValueError, match=":payout_id"):
        SqlMerchant(str(shop.engine.url), BALANCE_QUERY, INVOICE_QUERY, payout_query="SELECT 1")
