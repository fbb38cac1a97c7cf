"""Deposits through the merchant's checkout, and their adapter for the shared concepts (DEPOSITS)."""
from __future__ import annotations

import json
from decimal import Decimal

from support.domain.concepts import Lookup, Notification, ProductAdapter
from support.domain.customers import Customer
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter, deposit_description
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


class Deposits(ProductAdapter):
    """A deposit is an invoice the merchant's checkout created; its record is the merchant's invoice."""
    product, noun, kind, fixture, callback_type = "invoices", "deposit", "invoice", "deposit", "Invoice"
    final = FINAL_INVOICE
    # An invoice's notifications by the features' names; "payment seen" and "payment confirmed" carry whatever
    # status the invoice has then.
    notifications = {"created": Notification("created", "new"),
                     "payment seen": Notification("transaction_created"),
                     "payment confirmed": Notification("transaction_confirmed"),
                     "completed": Notification("status_changed", "completed")}
    amount_field = "price_amount"
    subject = "the deposit"
    resent_by_cryptopay = True  # the emulator's resend renders an invoice as it is now
    merchant_log_route = "GET /invoices/{id}/callbacks"

    def object_id(self, deposit: Deposit) -> str:
        return deposit.invoice_id

    def requested(self, deposit: Deposit) -> tuple[Decimal, str]:
        return Decimal(str(deposit.price_amount)), deposit.price_currency

    def at_cryptopay(self, cryptopay: CryptopayDriver, deposit: Deposit) -> dict:
        return cryptopay.invoice(deposit.invoice_id)

    def recorded(self, merchant: MerchantAdapter, deposit: Deposit) -> dict | None:
        return merchant.recorded_invoice(deposit.invoice_id)

    def decide_hold(self, control: EmulatorControl, deposit: Deposit, outcome: str) -> dict:
        return control.monitoring_decision(deposit.invoice_id, outcome)

    def merchant_log(self, merchant: MerchantAdapter, deposit: Deposit) -> list[dict] | None:
        received = merchant.received_callbacks(deposit.invoice_id)
        if received is None:
            return None
        # The outcome is the merchant's own free text, shown as evidence only; the HTTP status its callback endpoint
        # answered (answered_status) is what says whether Cryptopay got an acknowledgement.
        return [{"event": entry["event"], "status": _carried(entry["raw_body"]), "state": entry["outcome"],
                 "answers": [entry["answered_status"]]} for entry in received]

    def claimed(self, subject: str, name: str, lookup: Lookup, cryptopay: CryptopayDriver) -> tuple[dict, bytes, bytes]:
        """The deposit's invoice claimed in the notification's status and fully paid; misdirected carries the
        signature of its genuine "created"."""
        invoice = self.at_cryptopay(cryptopay, lookup(self.fixture))
        claim = dict(invoice, status=self.notifications[name].status, status_context=None,
                     paid_amount=invoice["pay_amount"])
        return claim, self.render(name, claim), self.render("created", invoice)

    def scenario_things(self, lookup: Lookup) -> list[Deposit]:
        return list(lookup("scenario_deposits") or [])


def _carried(raw_body: str) -> str | None:
    try:
        return json.loads(raw_body)["data"]["status"]
    except (ValueError, KeyError, TypeError):
        return None


DEPOSITS = Deposits()
