"""Issue 14, difference 3: accounts and their ledger with a running balance, network fees and customers answer as
docs/cryptopay-channels-payouts-facts.md §16, §18 and §19 describe (they were 404s)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from cryptopay_client import CryptopayError
from tests.emulator.conftest import LiveEmulator
from tests.emulator.shapes import UUID, shape_differences

ROW_KEYS = {"id", "custom_id", "customer_id", "amount", "currency", "balance", "fee", "fee_currency", "reference_id",
            "reference_type", "description", "status", "status_context", "risk", "created_at"}


def get(emu: LiveEmulator, path: str) -> dict:
    return emu.client._call("GET", path)


def paid_invoice(emu: LiveEmulator) -> dict:
    invoice = emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC")
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": invoice["pay_amount"]})
    return invoice


def test_accounts_list_one_per_currency_with_the_balance(emu: LiveEmulator) -> None:
    paid_invoice(emu)
    accounts = get(emu, "/api/accounts")
    assert accounts["meta"] == {"total": len(accounts["data"]), "has_more": False}
    eur = next(a for a in accounts["data"] if a["currency"] == "EUR")
    assert set(eur) == {"id", "currency", "balance", "project_id"} and UUID.match(eur["id"])
    assert eur["balance"] == "99.0"  # 100 EUR less the 1% fee


def test_the_ledger_has_a_row_per_money_movement_with_the_balance_after_it(emu: LiveEmulator) -> None:
    invoice = paid_invoice(emu)
    made = emu.client.create_coin_withdrawal(address="2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV", charged_currency="BTC",
                                             received_currency="BTC", charged_amount="0.5", force_commit=True)
    rows = get(emu, "/api/transactions")["data"]
    assert all(set(row) == ROW_KEYS for row in rows)
    assert [(r["reference_type"], r["reference_id"], r["amount"], r["currency"], r["balance"]) for r in rows] == [
        ("CoinWithdrawal", made["id"], "-0.5", "BTC", "9.5"), ("Invoice", invoice["id"], "99.0", "EUR", "99.0")]
    assert rows[1]["fee"] == "1.0" and rows[1]["status"] == "completed"
    only = get(emu, "/api/transactions?reference_type=Invoice")
    assert [r["reference_id"] for r in only["data"]] == [invoice["id"]] and only["meta"]["total"] == 1
    assert get(emu, f"/api/transactions?starting_after={rows[0]['id']}")["data"] == rows[1:]


def test_an_invoice_is_a_ledger_row_from_creation_that_moves_nothing_until_it_completes(emu: LiveEmulator) -> None:
    """§18: rows that do not move money (invoice `new`/`cancelled`) show the expected amount and repeat the balance
    before them; completion turns the invoice's row into the credit."""
    first = paid_invoice(emu)
    waiting = emu.client.create_invoice(price_amount="50.0", price_currency="EUR", pay_currency="BTC")
    dropped = emu.client.create_invoice(price_amount="20.0", price_currency="EUR", pay_currency="BTC")
    emu.control("POST", "/clock/advance", {"seconds": 14 * 86400})  # `dropped` and `waiting` are cancelled
    rows = get(emu, "/api/transactions?reference_type=Invoice")["data"]
    assert [(r["reference_id"], r["amount"], r["balance"], r["status"]) for r in rows] == [
        (dropped["id"], "19.8", "99.0", "cancelled"), (waiting["id"], "49.5", "99.0", "cancelled"),
        (first["id"], "99.0", "99.0", "completed")]
    eur = next(a for a in get(emu, "/api/accounts")["data"] if a["currency"] == "EUR")
    assert [r["reference_id"] for r in get(emu, f"/api/accounts/{eur['id']}/transactions")["data"]] == \
        [r["reference_id"] for r in rows]
    assert get(emu, "/api/transactions?status=new")["meta"]["total"] == 0


def test_a_new_invoice_row_completes_in_place(emu: LiveEmulator) -> None:
    invoice = emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC")
    row, = get(emu, "/api/transactions")["data"]
    assert (row["reference_id"], row["amount"], row["balance"], row["status"]) == (invoice["id"], "99.0", "0.0", "new")
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": invoice["pay_amount"]})
    row, = get(emu, "/api/transactions")["data"]
    assert (row["amount"], row["balance"], row["status"]) == ("99.0", "99.0", "completed")


def test_each_accounts_rows_run_up_to_its_balance(emu: LiveEmulator) -> None:
    for _ in range(3):
        paid_invoice(emu)
    eur = next(a for a in get(emu, "/api/accounts")["data"] if a["currency"] == "EUR")
    rows = get(emu, f"/api/accounts/{eur['id']}/transactions")["data"]
    running = Decimal("0")
    for row in reversed(rows):  # oldest first
        running += Decimal(row["amount"])
        assert Decimal(row["balance"]) == running
    assert running == Decimal(eur["balance"]) == Decimal("297.0")
    with pytest.raises(CryptopayError) as malformed:
        get(emu, "/api/accounts/EUR/transactions")
    assert malformed.value.status == 422 and malformed.value.detail_codes() == ["must_be_uuid"]


def test_network_fees_list_levels_without_meta(emu: LiveEmulator) -> None:
    fees = get(emu, "/api/coin_withdrawals/network_fees")
    assert set(fees) == {"data"}
    btc = [f for f in fees["data"] if f["currency"] == "BTC"]
    assert [f["level"] for f in btc] == ["fast", "average", "slow"]
    assert all(set(f) == {"level", "fee", "currency", "network"} for f in fees["data"])


RECORDED_CUSTOMER = {"id": "CUSTOMER-123", "currency": "EUR",
                     "refund_addresses": {"BTC": "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ"},
                     "addresses": [{"address": "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ", "currency": "BTC",
                                    "network": "bitcoin"}]}


def test_customers_are_created_updated_and_read_as_recorded(emu: LiveEmulator) -> None:
    created = emu.client._call("POST", "/api/customers", {"id": "CUSTOMER-123", "currency": "EUR"})["data"]
    assert created == {"id": "CUSTOMER-123", "currency": "EUR", "refund_addresses": {}, "addresses": []}
    updated = emu.client._call("PATCH", "/api/customers/CUSTOMER-123", {"addresses": [
        {"address": "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ", "currency": "BTC", "network": "bitcoin"}]})["data"]
    assert updated == RECORDED_CUSTOMER == get(emu, "/api/customers/CUSTOMER-123")["data"]
    assert shape_differences(RECORDED_CUSTOMER, updated) == []
    with pytest.raises(CryptopayError) as duplicate:
        emu.client._call("POST", "/api/customers", {"id": "CUSTOMER-123", "currency": "EUR"})
    assert duplicate.value.status == 409
    emu.client._call("POST", "/api/customers", {"id": "CUSTOMER-124", "currency": "USD"})
    listed = get(emu, "/api/customers")
    assert [c["id"] for c in listed["data"]] == ["CUSTOMER-124", "CUSTOMER-123"]
    assert [c["id"] for c in get(emu, "/api/customers?starting_after=CUSTOMER-124")["data"]] == ["CUSTOMER-123"]
