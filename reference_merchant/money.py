"""Money as the reference merchant takes it in and keeps it: plain decimal strings in, only what reads back stored."""
from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow

WHOLE_DIGITS, DECIMALS = 16, 18  # far beyond any real price or coin unit (18 decimals is an ether's wei)
# Written as Cryptopay writes money ("100.00", "0.00184519"): ASCII digits, at most one point with digits on both
# sides. Python's Decimal alone would also read "٥" (an Arabic-Indic five), "1_000", ".5", " 5", "1e400" and
# "Infinity"; none of them is an amount a customer typed or Cryptopay sent.
AMOUNT = re.compile(rf"[0-9]{{1,{WHOLE_DIGITS}}}(?:\.[0-9]{{1,{DECIMALS}}})?")
AMOUNT_RULE = 'must be a positive decimal string of ASCII digits with at most one point, e.g. "100.00"'
# A balance is a sum of stored rows. Each row holds at most 34 digits, so in 64 digits every sum is exact; were one
# ever to need rounding, the trap makes it an error instead of quietly changing someone's money.
EXACT = Context(prec=64, traps=[InvalidOperation, Inexact, Overflow])


def parse_amount(value: object) -> Decimal | None:
    """A positive amount from a plain decimal string; None for anything else (numbers included: JSON numbers may
    pass through binary floats on the way)."""
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        return None
    amount = Decimal(value)
    return amount if amount > 0 else None


def storable(amount: Decimal) -> str:
    """The text a money row keeps, or ValueError before anything is written. A row that cannot be read back and
    summed exactly (1E+400, 1E-400, NaN) would make its customer's balance fail for good, so it is never stored;
    amounts Cryptopay sends pass through here too."""
    if not amount.is_finite():
        raise ValueError("an amount must be a finite number")
    if amount and (amount.adjusted() >= WHOLE_DIGITS or amount.as_tuple().exponent < -DECIMALS):
        raise ValueError(f"an amount must have at most {WHOLE_DIGITS} digits before the point and {DECIMALS} after")
    return format(amount, "f")  # never an exponent: any reader, any language, reads it back as written
