"""The database layer on its own: an old layout is refused loudly, and only the uniqueness guarantee may mean
"already credited" (any other integrity failure surfaces)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from reference_merchant.db import init_db, make_engine
from reference_merchant.ledger import Ledger
from tests.merchant.harness import sqlite_url


def test_a_database_with_the_old_deposits_layout_is_refused(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE deposits (invoice_id VARCHAR(64) PRIMARY KEY, customer_id VARCHAR(128), "
                          "custom_id VARCHAR(128), price_amount VARCHAR(64))"))
    with pytest.raises(RuntimeError, match="older layout"):
        init_db(engine)
    engine.dispose()


def test_an_integrity_error_other_than_a_duplicate_credit_is_not_swallowed(database_url: str) -> None:
    engine = make_engine(database_url)
    init_db(engine)
    ledger = Ledger(engine)
    try:
        with pytest.raises(IntegrityError):
            ledger.credit("inv-1", None, Decimal("1.00"), "EUR")  # customer_id NOT NULL violated
        assert ledger.credit("inv-1", "una", Decimal("1.00"), "EUR") is True
        assert ledger.credit("inv-1", "una", Decimal("1.00"), "EUR") is False
        assert ledger.balances("una") == {"EUR": "1.00"}
    finally:
        engine.dispose()
