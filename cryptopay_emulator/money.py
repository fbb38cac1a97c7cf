"""Amount arithmetic observed in the sandbox recordings: per-coin precision, rounding, decimal-string format."""
from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

# Precision of pay amounts as the sandbox displays them (API_FACTS §3 "Amount math").
PAY_PRECISION = {"BTC": 6, "ETH": 8, "LTC": 8, "XRP": 6, "USDT": 6, "USDC": 6, "BUSD": 6, "ADA": 6, "BNB": 8,
                 "XLM": 7, "SOL": 9, "SHIB": 0, "BCH": 8, "DOGE": 8, "TRX": 6}
# Precision of fees and prices in a crypto price currency (coin network precision: BTC 8 dp, USDT 6 dp).
NETWORK_PRECISION = {"BTC": 8, "ETH": 8, "LTC": 8, "XRP": 6, "USDT": 6, "USDC": 6, "BUSD": 8, "ADA": 6, "BNB": 8,
                     "XLM": 7, "SOL": 9, "SHIB": 0, "BCH": 8, "DOGE": 8, "TRX": 6}
FIAT = ("EUR", "USD", "GBP", "UAH")
DEFAULT_NETWORK = {"BTC": "bitcoin", "ETH": "ethereum", "LTC": "litecoin", "XRP": "ripple", "XLM": "stellar",
                   "USDT": "ethereum", "USDC": "ethereum", "BCH": "bitcoin_cash", "ADA": "cardano",
                   "BNB": "bnb_smart_chain", "SOL": "solana", "DOGE": "dogecoin", "TRX": "tron", "SHIB": "ethereum"}
NETWORKS = {"USDT": ("ethereum", "tron", "bnb_smart_chain", "solana"), "USDC": ("ethereum", "tron", "solana")}
CRYPTO = tuple(DEFAULT_NETWORK)

# Fixed, configurable rates: price of one coin in EUR / USD / GBP.
DEFAULT_RATES = {
    "BTC": {"EUR": "52798.1734", "USD": "61205.4400", "GBP": "45012.8800", "UAH": "1650000.00"},
    "ETH": {"EUR": "3421.5898", "USD": "3966.4100", "GBP": "2917.0300", "UAH": "107000.00"},
    "LTC": {"EUR": "160.1200", "USD": "185.6200", "GBP": "136.5100", "UAH": "5000.00"},
    "XRP": {"EUR": "0.3212", "USD": "0.3724", "GBP": "0.2738", "UAH": "10.05"},
    "XLM": {"EUR": "0.2950", "USD": "0.3420", "GBP": "0.2515", "UAH": "9.22"},
    "USDT": {"EUR": "0.8626", "USD": "1.0000", "GBP": "0.7354", "UAH": "27.00"},
    "USDC": {"EUR": "0.8626", "USD": "1.0000", "GBP": "0.7354", "UAH": "27.00"},
    "BCH": {"EUR": "540.3300", "USD": "626.3800", "GBP": "460.6500", "UAH": "16900.00"},
    "ADA": {"EUR": "1.8900", "USD": "2.1900", "GBP": "1.6100", "UAH": "59.10"},
    "BNB": {"EUR": "410.5000", "USD": "475.8800", "GBP": "349.9700", "UAH": "12840.00"},
    "SOL": {"EUR": "140.2500", "USD": "162.5900", "GBP": "119.5700", "UAH": "4386.00"},
    "DOGE": {"EUR": "0.2100", "USD": "0.2434", "GBP": "0.1790", "UAH": "6.57"},
    "TRX": {"EUR": "0.0900", "USD": "0.1043", "GBP": "0.0767", "UAH": "2.81"},
    "SHIB": {"EUR": "0.00003100", "USD": "0.00003594", "GBP": "0.00002643", "UAH": "0.00097"},
}
FEE_RATE = Decimal("0.01")
MIN_RATE, MAX_RATE = Decimal("1E-9"), Decimal("1E12")


def is_fiat(currency: str) -> bool:
    return currency in FIAT


def price_precision(currency: str) -> int:
    return 2 if is_fiat(currency) else NETWORK_PRECISION[currency]


# Wide enough that no accepted amount at any accepted rate overflows a quantize (which would be a 500).
_WIDE = Context(prec=80)


def quantize(value: Decimal, places: int, rounding: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=_WIDE)


def significant(value: Decimal, digits: int) -> Decimal:
    """Floors to `digits` significant digits, so a tiny cross rate (SHIB in BTC) never rounds to zero."""
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_FLOOR, context=_WIDE)


def ceil_to(value: Decimal, places: int) -> Decimal:
    return quantize(value, places, ROUND_CEILING)


def floor_to(value: Decimal, places: int) -> Decimal:
    return quantize(value, places, ROUND_FLOOR)


def fmt(value: Decimal) -> str:
    """Cryptopay's decimal strings: no exponent, no trailing zeros, at least one decimal ("100.0", "0.001895")."""
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".0"
    return text


# Cryptopay's amounts are plain decimal strings ("100.0", "0.00184519"; docs/cryptopay-api-facts.md §3): ASCII
# digits, at most one point with digits on both sides. Python's Decimal reads far more ("٥", "1_000", ".5", " 5",
# "1e2", "Infinity"), none of which a Cryptopay amount is, so the shape is checked before Decimal sees it. At most 16
# digits before the point and 18 after: far beyond any real price or coin unit.
AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,18})?")


def parse_amount(raw: object, *, allow_zero: bool = False) -> Decimal | None:
    """A positive (or zero, if allowed) amount from a plain decimal string or a JSON integer; else None. Floats are
    refused: money never passes through binary fractions."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    text = str(raw) if isinstance(raw, str) or abs(raw) < 10 ** 16 else ""  # str() of a huge int is slow
    if not AMOUNT.fullmatch(text):
        return None
    value = Decimal(text)
    if value == 0 and not allow_zero:
        return None
    return value


def fee_for(price: Decimal, currency: str) -> Decimal:
    return ceil_to(price * FEE_RATE, price_precision(currency))
