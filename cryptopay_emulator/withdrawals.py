"""Coin withdrawals from the account's own balances; one sent to an invoice's address pays that invoice."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from cryptopay_emulator import money
from cryptopay_emulator.addresses import new_txid
from cryptopay_emulator.account import Account
from cryptopay_emulator.errors import DuplicateCustomId, Invalid, WithdrawalExpired, detail
from cryptopay_emulator.invoices import InvoiceBackend
from cryptopay_emulator.models import CoinWithdrawal
from cryptopay_emulator.store import Store
from cryptopay_emulator.validation import withdrawal_params

COMMIT_WINDOW = timedelta(seconds=30)
# Flat network fees in the received coin ("average" level); the real ones float with the network.
NETWORK_FEES = {"BTC": Decimal("0.00001"), "ETH": Decimal("0.00021"), "LTC": Decimal("0.0001"),
                "BCH": Decimal("0.00001"), "XRP": Decimal("0.01"), "XLM": Decimal("0.01"), "USDT": Decimal("1.0"),
                "USDC": Decimal("1.0"), "ADA": Decimal("0.2"), "BNB": Decimal("0.0005"), "SOL": Decimal("0.00001"),
                "DOGE": Decimal("1.0"), "TRX": Decimal("1.0"), "SHIB": Decimal("50000")}


class WithdrawalBackend:
    """State and rules of /api/coin_withdrawals; pays the account's own invoices when sent to their addresses."""

    def __init__(self, account: Account, invoices: InvoiceBackend):
        self.account = account
        self._invoices = invoices
        self.reset()

    def reset(self) -> None:
        with self.account.lock:
            self._store: Store[CoinWithdrawal] = Store()

    def create(self, params: object) -> dict:
        with self.account.lock:
            fields = withdrawal_params(params)
            if self._store.has_custom_id(fields["custom_id"]):
                raise DuplicateCustomId()
            withdrawal = self._quote(fields)
            self._require_funds(withdrawal)  # checked at creation too, so a doomed quote is refused at once
            self._store.add(withdrawal.id, withdrawal, withdrawal.custom_id, withdrawal.customer_id)
            self._emit("created", withdrawal)
            if fields["force_commit"]:
                self._commit(withdrawal)
            return withdrawal.to_json()

    def commit(self, withdrawal_id: str) -> dict:
        with self.account.lock:
            withdrawal = self._get(withdrawal_id)
            if withdrawal.status == "cancelled":
                raise WithdrawalExpired()
            if withdrawal.status == "new":
                self._commit(withdrawal)
            return withdrawal.to_json()

    def get(self, withdrawal_id: str) -> dict:
        with self.account.lock:
            return self._get(withdrawal_id).to_json()

    def get_by_custom_id(self, custom_id: str) -> dict:
        with self.account.lock:
            withdrawal = self._store.by_custom_id(custom_id)
            self._expire(withdrawal)
            return withdrawal.to_json()

    def list(self) -> dict:
        with self.account.lock:
            for withdrawal in self._store:
                self._expire(withdrawal)
            page, meta = self._store.page()
            return {"data": [w.to_json() for w in page], "meta": meta}

    # -- internals -----------------------------------------------------------------------------------
    def _get(self, withdrawal_id: str) -> CoinWithdrawal:
        withdrawal = self._store.get(withdrawal_id)
        self._expire(withdrawal)
        return withdrawal

    def _expire(self, withdrawal: CoinWithdrawal) -> None:
        if withdrawal.status == "new" and self.account.clock.now() > withdrawal.created_at + COMMIT_WINDOW:
            withdrawal.status = "cancelled"
            self._emit("status_changed", withdrawal)

    def _quote(self, f: dict) -> CoinWithdrawal:
        charged, received = f["charged_currency"], f["received_currency"]
        rate = None if charged == received else self.account.rate(received, charged)
        r = rate or Decimal(1)
        p_received, p_charged = money.NETWORK_PRECISION[received], money.price_precision(charged)
        fee = NETWORK_FEES.get(received, Decimal(0))
        amount, field = f["amount"], f["amount_field"]
        if field == "received_amount":  # the receiver gets exactly this; fees on top
            got, cost = amount, money.ceil_to((amount + fee) * r, p_charged)
        elif field == "charged_amount_to_send":  # exactly this leaves in the charged currency; fees on top
            got, cost = money.floor_to(amount / r, p_received), amount + money.ceil_to(fee * r, p_charged)
        else:  # charged_amount: fees come out of it
            got, cost = money.floor_to(amount / r - fee, p_received), amount
        if got <= 0:
            raise Invalid(details=[detail("must_be_greater_than", field, "must be more than the network fee",
                                          value=money.fmt(fee))])
        return CoinWithdrawal(
            id=str(uuid.uuid4()), address=f["address"], network=f["network"] or money.DEFAULT_NETWORK[received],
            charged_amount=cost, charged_currency=charged, received_amount=got, received_currency=received,
            network_fee=fee, rate=rate, created_at=self.account.clock.now(), custom_id=f["custom_id"],
            customer_id=f["customer_id"])

    def _require_funds(self, withdrawal: CoinWithdrawal) -> None:
        available = self.account.balances.available(withdrawal.charged_currency)
        if available < withdrawal.charged_amount:
            raise Invalid(details=[detail("insufficient_funds", "charged_amount",
                                          f"not enough {withdrawal.charged_currency} in the account",
                                          available=money.fmt(available), currency=withdrawal.charged_currency)])

    def _commit(self, withdrawal: CoinWithdrawal) -> None:
        self._require_funds(withdrawal)
        self.account.balances.debit(withdrawal.charged_currency, withdrawal.charged_amount)
        invoice_id = self._invoices.owns_address(withdrawal.address)
        invoice = self._invoices.get(invoice_id) if invoice_id else None
        if invoice is not None and invoice["pay_currency"] == withdrawal.received_currency:
            # How the real sandbox is paid: the account sends coins to its own invoice's address.
            paid = self._invoices.pay(amount=withdrawal.received_amount, invoice_id=invoice_id, risk_level="low",
                                     confirmed=True)
            withdrawal.txid = paid["txid"]
        else:
            withdrawal.txid = new_txid(withdrawal.network)
        # Collapses pending → sent → completed: the emulated chain confirms at once.
        withdrawal.status = "completed"
        self._emit("status_changed", withdrawal)

    def _emit(self, event: str, withdrawal: CoinWithdrawal) -> None:
        self.account.notify("CoinWithdrawal", event, withdrawal.to_json())
