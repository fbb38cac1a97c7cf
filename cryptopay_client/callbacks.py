"""Callback signatures: hex HMAC-SHA256 of the raw body with the callback secret, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Cryptopay-Signature"


def callback_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_callback(secret: str, body: bytes, header_value: str | None) -> bool:
    """True only when the header carries the signature of exactly these bytes."""
    if not header_value or not secret:
        return False
    expected = callback_signature(secret, body)
    return hmac.compare_digest(expected, header_value.strip().lower())
