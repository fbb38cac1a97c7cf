"""Renders a callback body the way Cryptopay's Rails encoder writes it, bytes no JSON re-serialisation reproduces."""
from __future__ import annotations

import json
from decimal import Decimal

# ActiveSupport escapes these inside strings so the JSON is safe in HTML; Python's json never does.
RAILS_ESCAPES = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def rails_json(payload: object, indent: int | None = None) -> bytes:
    """Keys in the order given (Cryptopay's, never sorted), ", " and ": " separators, &, <, > (and the JS line
    separators) as \\u escapes, every other non-ASCII character as raw UTF-8. Risk scores (Decimal) are numbers.

    With `indent`, pretty-printed as Cryptopay's recorded callback fixture is. The characters replaced can only
    occur inside JSON strings, so replacing them in the text never touches its structure."""
    separators = (",", ": ") if indent is not None else (", ", ": ")
    text = json.dumps(payload, ensure_ascii=False, separators=separators, indent=indent, default=_number)
    for char, escape in RAILS_ESCAPES:
        text = text.replace(char, escape)
    return text.encode("utf-8")


def _number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # risk scores only: money is a decimal string in every payload, never a number
    raise TypeError(f"cannot render {type(value).__name__} in a callback body")
