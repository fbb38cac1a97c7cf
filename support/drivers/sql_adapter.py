"""The merchant under test read through SQL: balances and invoice state from the merchant's own database."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from support.drivers.merchant import Deposit, MerchantError, ProbeMerchant
from support.secrets import Secret

NO_DEPOSITS = ("the SQL adapter only reads the merchant's database; deposits must come from the merchant's own "
               "checkout. Either give it a deposit URL (a probe v1 base URL serving POST /deposits, "
               "MERCHANT_PROBE_URL) or use the probe adapter (MERCHANT_ADAPTER=probe)")


class SqlMerchant:
    """MerchantAdapter over two read-only queries with named parameters:

    - balance_query, with :customer_id, returns rows (currency, amount); rows of one currency are summed;
    - invoice_query, with :invoice_id, returns at most one row (status, status_context).

    Amounts must come back as DECIMAL/NUMERIC or text, never floating point. Every query runs in a transaction
    that is rolled back, so the adapter cannot change the merchant's data even if a query tries to.
    """

    def __init__(self, url: str, balance_query: str, invoice_query: str, deposit_url: str | None = None,
                 deposit_token: Secret | None = None, timeout: float = 15.0):
        problems = [f"{name} must use the named parameter :{param}" for name, query, param in
                    (("balance query", balance_query, "customer_id"), ("invoice query", invoice_query, "invoice_id"))
                    if f":{param}" not in (query or "")]
        if problems:
            raise ValueError("SqlMerchant: " + "; ".join(problems))
        self._display_url = make_url(url).render_as_string(hide_password=True)
        self._engine: Engine = create_engine(url, pool_pre_ping=True)
        self._balance_query = text(balance_query)
        self._invoice_query = text(invoice_query)
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
