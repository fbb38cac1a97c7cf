"""The reference merchant's money under hostile amounts: validated before anything is written, and nothing stored
that a balance cannot read back (issue 21, point 15)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from tests.merchant.harness import Shop, running_shop, sqlite_url


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path)) as started:
        yield started


def _rows(shop: Shop, customer_id: str) -> int:
    with shop.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM balance_moves WHERE customer_id = :c"),
                            {"c": customer_id}).scalar()


@pytest.mark.parametrize("amount", ["1e400", "1e-400", "1E+400", "9" * 40])
@pytest.mark.parametrize("currency", ["EUR", "BTC"])
def test_funding_an_amount_no_balance_can_hold_is_refused_and_the_balance_still_answers(shop: Shop, amount: str,
                                                                                        currency: str) -> None:
    shop.fund("mo", "10.00", currency)
    answer = shop.probe("POST", "/customers/mo/funding", json={"amount": amount, "currency": currency})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid", answer.text
    assert _rows(shop, "mo") == 1
    assert shop.balances("mo") == {currency: Decimal("10.00")}  # answers 200, as it did before the attempt


def test_the_ledger_refuses_to_store_an_amount_it_could_not_read_back(shop: Shop) -> None:
    """Amounts that come from Cryptopay's answers reach the ledger without the probe's checks: the ledger itself
    refuses them before writing, so a hostile or broken answer cannot poison a balance either."""
    ledger = shop.merchant_app.extensions["merchant"]["ledger"]
    for amount in (Decimal("1E+400"), Decimal("1E-400"), Decimal("NaN")):
        with pytest.raises(ValueError):
            ledger.move("funding", f"funding-{amount}", "ned", amount, "EUR")
        with pytest.raises(ValueError):
            ledger.credit(f"invoice-{amount}", "ned", amount, "EUR")
    assert _rows(shop, "ned") == 0 and shop.balances("ned") == {}


def test_a_balance_of_the_longest_amounts_is_exact_not_rounded(shop: Shop) -> None:
    longest = "1234567890123456.123456789012345678"  # 34 digits: past Decimal's default 28, within the bounds
    shop.fund("oz", longest, "ETH")
    shop.fund("oz", longest, "ETH")
    balances = shop.probe("GET", "/customers/oz/balance").json()["balances"]
    assert balances == {"ETH": "2469135780246912.246913578024691356"}
