"""Steps about finding invoices at Cryptopay: by id, by custom_id and in the list."""
from __future__ import annotations

from decimal import Decimal

from pytest_bdd import parsers, then, when

from support.domain.customers import Customer
from support.domain.deposits import request_deposit
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit, MerchantAdapter
from support.evidence.attachments import Evidence


@when(parsers.cfparse("the customer asks for deposits of {requests}"), target_fixture="several")
def asks_for_several(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                     scenario_deposits: list[Deposit], customer: Customer, requests: str) -> list[Deposit]:
    made = []
    for request in requests.replace(" and ", ", ").split(","):
        amount, currency, _, coin = request.split()  # "25.00 EUR in BTC"
        made.append(request_deposit(merchant, cryptopay, evidence, scenario_deposits, customer,
                                    Decimal(amount), currency, coin))
    return made


@then("each deposit has its own invoice at Cryptopay, found by its id and by its custom id")
def each_found(cryptopay: CryptopayDriver, several: list[Deposit], evidence: Evidence) -> None:
    assert len({d.custom_id for d in several}) == len(several), "custom ids must be unique per invoice"
    rows = []
    for deposit in several:
        by_id = cryptopay.invoice(deposit.invoice_id)
        by_custom_id = cryptopay.client.retrieve_invoice_by_custom_id(deposit.custom_id)
        assert by_custom_id["id"] == by_id["id"] == deposit.invoice_id, (
            f"custom id {deposit.custom_id} finds invoice {by_custom_id['id']}, not {deposit.invoice_id}")
        assert Decimal(by_id["price_amount"]) == deposit.price_amount, (
            f"invoice {by_id['id']} is priced {by_id['price_amount']}, the deposit asked for {deposit.price_amount}")
        assert (by_id["price_currency"], by_id["pay_currency"]) == (deposit.price_currency, deposit.pay_currency), (
            f"invoice {by_id['id']} is {by_id['price_currency']}/{by_id['pay_currency']}, the deposit asked for "
            f"{deposit.price_currency}/{deposit.pay_currency}")
        rows.append({"invoice_id": by_id["id"], "custom_id": by_id["custom_id"],
                     "price": f"{by_id['price_amount']} {by_id['price_currency']}",
                     "pay": f"{by_id['pay_amount']} {by_id['pay_currency']}"})
    evidence.attach_json("Invoices found by id and custom id", rows)


@then("Cryptopay's invoice list for the customer shows every deposit, newest first")
def listed(cryptopay: CryptopayDriver, customer: Customer, several: list[Deposit], evidence: Evidence) -> None:
    listing = cryptopay.client.list_invoices(customer_id=customer.id)
    listed_ids = [i["id"] for i in listing["data"]]
    evidence.attach_json("Invoice list for the customer", {"ids": listed_ids, "meta": listing["meta"]})
    assert listed_ids == [d.invoice_id for d in reversed(several)], (
        f"expected the deposits newest first, the list shows {listed_ids}")
    assert listing["meta"]["total"] == len(several), f"the list counts {listing['meta']['total']} invoices"
