"""Testnet-looking deposit addresses, payment URIs and transaction ids per network."""
from __future__ import annotations

import secrets
from decimal import Decimal

from cryptopay_emulator.money import fmt

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58(length: int) -> str:
    return "".join(secrets.choice(_BASE58) for _ in range(length))


def new_address(network: str) -> str:
    if network in ("ethereum", "bnb_smart_chain"):
        return "0x" + secrets.token_hex(20)
    if network == "bitcoin":
        return "2N" + _b58(33)
    if network == "litecoin":
        return "Q" + _b58(33)
    if network == "ripple":
        return "r" + _b58(33) + f"?dt={secrets.randbelow(10**9)}"
    if network == "stellar":
        return "G" + _b58(55).upper() + f"?dt={secrets.randbelow(10**9)}"
    if network == "tron":
        return "T" + _b58(33)
    if network == "cardano":
        return "addr_test1" + secrets.token_hex(29)
    return _b58(40)


def new_txid(network: str) -> str:
    if network in ("ethereum", "bnb_smart_chain"):
        return "0x" + secrets.token_hex(32)
    return secrets.token_hex(32)


def payment_uri(network: str, address: str, amount: Decimal) -> str:
    if network == "ethereum":
        # BIP-681 style as recorded: value in wei, written as <mantissa>e<exponent>.
        digits = amount.normalize().as_tuple()
        mantissa = "".join(map(str, digits.digits))
        exponent = 18 + digits.exponent + len(digits.digits)
        return f"ethereum:{address}?value=0.{mantissa}e{exponent}"
    if network in ("bnb_smart_chain", "tron"):
        return address
    return f"{network}:{address.split('?')[0]}?amount={fmt(amount)}"
