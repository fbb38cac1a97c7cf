"""Deposits through the merchant's checkout, and waiting for the status the merchant records for them."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

from support.domain.customers import Customer
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit, MerchantAdapter, deposit_description
from support.drivers.waiting import answered_but_not, either, final_elsewhere, wait_until
from support.evidence.attachments import Evidence
from support.targets.settings import Settings

FINAL_INVOICE = frozenset({"completed", "refunded", "cancelled"})

# "paid in crypto": the coin is the run's PAYMENT_COIN, so the wording stays true whichever coin pays.
RUN_COIN = "crypto"


def pay_coin(coin: str, settings: Settings) -> str:
    return settings.payment_coin if coin == RUN_COIN else coin


def request_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                    deposits: list[Deposit], customer: Customer, amount: Decimal, currency: str,
                    coin: str) -> Deposit:
    # Every deposit carries the awkward description, so every callback body has characters encoders disagree on.
    deposit = merchant.create_deposit(customer.id, amount, currency, coin, deposit_description(customer.id))
    deposits.append(deposit)
    evidence.attach_json("Payment coin", {"pay_currency": coin, "invoice_id": deposit.invoice_id})
    evidence.attach_json("Invoice as Cryptopay reports it (created)", cryptopay.invoice(deposit.invoice_id))
    return deposit


def wait_for_status(merchant: MerchantAdapter, invoice_id: str, status: str, context: str | None,
                    timeout: float, settled: Callable[[], bool] | None = None) -> dict:
    """The merchant-side twin of CryptopayDriver.wait_for_status: the merchant's record, once it shows the status."""
    want = f"{status}/{context}" if context else status
    return wait_until(lambda: merchant.recorded_invoice(invoice_id),
                      lambda rec: bool(rec) and rec["status"] == status and rec.get("status_context") == context,
                      timeout=timeout, expected=f"the merchant to record invoice {invoice_id} as {want}",
                      decided=either(final_elsewhere(status, FINAL_INVOICE, _status),
                                     answered_but_not(status, settled, _status)))


def _status(record: dict | None) -> str | None:
    return record["status"] if record else None
