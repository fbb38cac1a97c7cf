"""The merchant under test read through SQL: balances, invoice, channel payment and payout state from its own database."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from support.drivers.merchant import (V1_PRODUCTS, Channel, Deposit, MerchantError, Payout, PayoutRefusal,
                                      ProbeMerchant, RecordedPayout)
from support.targets.secrets import Secret

NO_DEPOSITS = ("the SQL adapter only reads the merchant's database; deposits must come from the merchant's own "
               "checkout. Either give it a deposit URL (a probe v1 base URL serving POST /deposits, "
               "MERCHANT_PROBE_URL) or use the probe adapter (MERCHANT_ADAPTER=probe)")
NO_ACTIONS = ("the SQL adapter only reads the merchant's database; {what} must come from the merchant itself. Give "
              "it a probe v2 base URL (MERCHANT_PROBE_URL) serving {operation}, or use MERCHANT_ADAPTER=probe")
NO_QUERY = "the SQL adapter has no {key} to read {what} with; set it (see docs/adapters.md)"


class SqlMerchant:
    """MerchantAdapter over read-only queries with named parameters:

    - balance_query, with :customer_id, returns rows (currency, amount); rows of one currency are summed;
    - invoice_query, with :invoice_id, returns at most one row (status, status_context);
    - channel_payment_query (channels, optional), with :channel_payment_id, returns at most one row
      (channel_id, customer_id, status, status_context);
    - payout_query (payouts, optional), with :payout_id, returns at most one row
      (coin_withdrawal_id, customer_id, status, debited_amount, debited_currency, refunded).

    What the merchant does (deposits, channels, funding, payouts) goes through its probe at deposit_url.

    Amounts must come back as DECIMAL/NUMERIC or text, never floating point. Every query runs in a transaction
    that is rolled back, so the adapter cannot change the merchant's data even if a query tries to.
    """

    def __init__(self, url: str, balance_query: str, invoice_query: str, deposit_url: str | None = None,
                 deposit_token: Secret | None = None, timeout: float = 15.0,
                 channel_payment_query: str | None = None, payout_query: str | None = None):
        problems = [f"{name} must use the named parameter :{param}" for name, query, param in
                    (("balance query", balance_query, "customer_id"), ("invoice query", invoice_query, "invoice_id"))
                    if f":{param}" not in (query or "")]
        problems += [f"{name} must use the named parameter :{param}" for name, query, param in
                     (("channel payment query", channel_payment_query, "channel_payment_id"),
                      ("payout query", payout_query, "payout_id"))
                     if query and f":{param}" not in query]
        if problems:
            raise ValueError("SqlMerchant: " + "; ".join(problems))
        self._display_url = make_url(url).render_as_string(hide_password=True)
        self._engine: Engine = create_engine(url, pool_pre_ping=True)
        self._balance_query = text(balance_query)
        self._invoice_query = text(invoice_query)
        self._channel_payment_query = text(channel_payment_query) if channel_payment_query else None
        self._payout_query = text(payout_query) if payout_query else None
        self._deposits = ProbeMerchant(deposit_url, deposit_token or Secret(""), timeout) if deposit_url else None

    def __repr__(self) -> str:
        return f"SqlMerchant(url={self._display_url!r})"

    def close(self) -> None:
        self._engine.dispose()

    def _rows(self, query, params: dict) -> list[tuple]:
        try:
            with self._engine.connect() as conn:
                try:
                    return [tuple(row) for row in conn.execute(query, params).all()]
                finally:
                    conn.rollback()
        except SQLAlchemyError as exc:
            # The driver's message can quote the URL; only the type and the safe URL are reported.
            raise MerchantError(f"merchant database query failed at {self._display_url} "
                                f"({type(exc).__name__})") from None

    def create_deposit(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str,
                       description: str | None = None) -> Deposit:
        if self._deposits is None:
            raise MerchantError(NO_DEPOSITS)
        return self._deposits.create_deposit(customer_id, amount, currency, pay_currency, description)

    def balances(self, customer_id: str) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for row in self._rows(self._balance_query, {"customer_id": customer_id}):
            if len(row) != 2:
                raise MerchantError(f"balance query must return (currency, amount) rows, got {len(row)} columns")
            currency, amount = row
            totals[str(currency)] = totals.get(str(currency), Decimal("0")) + _money(amount)
        return totals

    def recorded_invoice(self, invoice_id: str) -> dict | None:
        rows = self._rows(self._invoice_query, {"invoice_id": invoice_id})
        if not rows:
            return None
        if len(rows) > 1 or len(rows[0]) != 2:
            raise MerchantError("invoice query must return at most one (status, status_context) row")
        status, context = rows[0]
        return {"invoice_id": invoice_id, "status": status, "status_context": context}

    def received_callbacks(self, invoice_id: str) -> list[dict] | None:
        return None  # not offered through SQL; evidence then comes from Cryptopay's side only

    # -- probe v2 products -----------------------------------------------------------------------------
    def capabilities(self) -> frozenset[str]:
        """What the merchant's probe says it integrates, less what this adapter has no query to read."""
        products = self._deposits.capabilities() if self._deposits else V1_PRODUCTS
        readable = {"invoices"} | ({"channels"} if self._channel_payment_query is not None else set()) \
            | ({"payouts"} if self._payout_query is not None else set())
        return frozenset(products & readable)

    def _probe(self, what: str, operation: str) -> ProbeMerchant:
        if self._deposits is None:
            raise MerchantError(NO_ACTIONS.format(what=what, operation=operation))
        return self._deposits

    def open_channel(self, customer_id: str, pay_currency: str, receive_currency: str,
                     network: str | None = None) -> Channel:
        return self._probe("channels", "POST /channels").open_channel(customer_id, pay_currency, receive_currency,
                                                                      network)

    def fund_customer(self, customer_id: str, amount: Decimal, currency: str) -> dict[str, Decimal]:
        self._probe("funding", "POST /customers/{id}/funding").fund_customer(customer_id, amount, currency)
        return self.balances(customer_id)

    def request_payout(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str, address: str,
                       network: str | None = None) -> Payout | PayoutRefusal:
        return self._probe("payouts", "POST /payouts").request_payout(customer_id, amount, currency, pay_currency,
                                                                      address, network)

    def recorded_channel_payment(self, channel_payment_id: str) -> dict | None:
        if self._channel_payment_query is None:
            raise MerchantError(NO_QUERY.format(key="MERCHANT_SQL_CHANNEL_PAYMENT_QUERY", what="channel payments"))
        row = self._one(self._channel_payment_query, {"channel_payment_id": channel_payment_id}, 4,
                        "channel payment query must return at most one (channel_id, customer_id, status, "
                        "status_context) row")
        if row is None:
            return None
        channel_id, customer_id, status, context = row
        return {"channel_payment_id": channel_payment_id, "channel_id": str(channel_id),
                "customer_id": str(customer_id), "status": status, "status_context": context}

    def recorded_payout(self, payout_id: str) -> RecordedPayout | None:
        if self._payout_query is None:
            raise MerchantError(NO_QUERY.format(key="MERCHANT_SQL_PAYOUT_QUERY", what="payouts"))
        row = self._one(self._payout_query, {"payout_id": payout_id}, 6,
                        "payout query must return at most one (coin_withdrawal_id, customer_id, status, "
                        "debited_amount, debited_currency, refunded) row")
        if row is None:
            return None
        withdrawal_id, customer_id, status, amount, currency, refunded = row
        debited = (_money(amount), str(currency)) if amount is not None else None
        return RecordedPayout(payout_id, str(withdrawal_id), str(customer_id), status, debited,
                              _flag(refunded))

    def _one(self, query, params: dict, columns: int, shape: str) -> tuple | None:
        rows = self._rows(query, params)
        if not rows:
            return None
        if len(rows) > 1 or len(rows[0]) != columns:
            raise MerchantError(shape)
        return rows[0]


def _flag(value: object) -> bool:
    """A boolean column as databases return it (SQLite: 0/1; PostgreSQL: bool); anything else is refused."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    raise MerchantError("payout query must return refunded as a boolean (true/false or 1/0)")


def _money(value: object) -> Decimal:
    if isinstance(value, float):
        raise MerchantError("balance query returned a floating-point amount; cast it to NUMERIC/DECIMAL or text")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MerchantError("balance query returned an amount that is not a decimal number") from None
    if not amount.is_finite():
        raise MerchantError("balance query returned a non-finite amount")
    return amount
