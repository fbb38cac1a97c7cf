"""Steps about paying invoice addresses (through the configured payer)."""
from __future__ import annotations

from decimal import Decimal

from pytest_bdd import when

from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit
from support.drivers.payers import Payer
from support.evidence import Evidence


@when("the customer pays the exact amount of the deposit")
def pays_exact(cryptopay: CryptopayDriver, payer: Payer, deposit: Deposit, evidence: Evidence) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    tx = payer.pay(invoice, Decimal(invoice["pay_amount"]))
    evidence.attach_json("Payment sent", tx)
