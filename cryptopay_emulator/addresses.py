"""Testnet-looking deposit addresses, payment URIs and transaction ids per network."""
from __future__ import annotations

import secrets
from decimal import Decimal

from cryptopay_emulator.keccak import checksummed
from cryptopay_emulator.money import fmt

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # Stellar's strkey alphabet
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"  # Cardano's
# The EVM chain id the sandbox's Ethereum URIs carry since 2023 (`@5`, Goerli, docs/cryptopay-api-facts.md §3, §7).
EVM_CHAIN_ID = 5


def _b58(length: int) -> str:
    # One urandom call instead of one secrets.choice per character: a tenth of the cost per invoice.
    # The slight modulo bias is irrelevant for made-up testnet addresses.
    return "".join(_BASE58[b % 58] for b in secrets.token_bytes(length))


def _pick(alphabet: str, length: int) -> str:
    return "".join(alphabet[b % len(alphabet)] for b in secrets.token_bytes(length))


def new_address(network: str) -> str:
    """Testnet look-alikes in each network's format: lower-case Ethereum as recorded, EIP-55 mixed case on BNB Smart
    Chain, Stellar's base32 (G + 55), Cardano's bech32 base address (108), Solana's 44 base58 characters."""
    if network == "ethereum":
        return "0x" + secrets.token_hex(20)
    if network == "bnb_smart_chain":
        return checksummed("0x" + secrets.token_hex(20))
    if network == "bitcoin":
        return "2N" + _b58(33)
    if network == "litecoin":
        return "Q" + _b58(33)
    if network == "ripple":
        return "r" + _b58(33) + f"?dt={secrets.randbelow(10**9)}"
    if network == "stellar":
        return "G" + _pick(_BASE32, 55) + f"?dt={secrets.randbelow(10**9)}"
    if network == "tron":
        return "T" + _b58(33)
    if network == "cardano":
        return "addr_test1q" + _pick(_BECH32, 97)
    if network == "solana":
        return _b58(44)
    return _b58(40)


def new_txid(network: str) -> str:
    if network in ("ethereum", "bnb_smart_chain"):
        return "0x" + secrets.token_hex(32)
    return secrets.token_hex(32)


# ERC-20 contracts the 2021 sandbox used (USDT as recorded; the others are stand-ins of the same shape).
TOKEN_CONTRACTS = {"USDT": ("0x23a2e5f75cdfe03763d929379f5dc3f14f7045cd", 6),
                   "USDC": ("0x07865c6e87b9f70255377e024ace6630c1eaa37f", 6),
                   "SHIB": ("0x95ad61b0a150d79219dcf64e1e6cc01f0b64c4ce", 18)}


def _scientific(amount: Decimal, decimals: int) -> str:
    """Base units written as 0.<digits>e<exponent>, the recorded form (0.02922619 ETH -> 0.2922619e17)."""
    digits = amount.normalize().as_tuple()
    mantissa = "".join(map(str, digits.digits))
    return f"0.{mantissa}e{decimals + digits.exponent + len(digits.digits)}"


def payment_uri(network: str, address: str, amount: Decimal, currency: str = "") -> str:
    if network == "ethereum" and currency in TOKEN_CONTRACTS:
        contract, decimals = TOKEN_CONTRACTS[currency]
        return f"ethereum:{contract}@{EVM_CHAIN_ID}/transfer?address={address}&uint256={_scientific(amount, decimals)}"
    if network == "ethereum":
        return f"ethereum:{address}@{EVM_CHAIN_ID}?value={_scientific(amount, 18)}"
    if network in ("bnb_smart_chain", "tron"):
        return address
    if network == "stellar":
        return _stellar(address) + f"&amount={fmt(amount)}"
    if network == "cardano":
        return f"web+cardano:{address}?amount={fmt(amount)}"
    bare, _, tag = address.partition("?")
    # XRP/XLM destination tags ride after the amount, as recorded: ripple:r...?amount=106.286982&dt=1932
    return f"{network}:{bare}?amount={fmt(amount)}" + (f"&{tag}" if tag else "")


def channel_uri(network: str, address: str, currency: str = "") -> str:
    """A channel's URI carries no amount (§2): bitcoin:ADDR, ethereum:ADDR@5, ERC-20 transfer, ripple:ADDR?dt=TAG."""
    if network == "ethereum" and currency in TOKEN_CONTRACTS:
        return f"ethereum:{TOKEN_CONTRACTS[currency][0]}@{EVM_CHAIN_ID}/transfer?address={address}"
    if network == "ethereum":
        return f"ethereum:{address}@{EVM_CHAIN_ID}"
    if network in ("bnb_smart_chain", "tron"):
        return address
    if network == "stellar":
        return _stellar(address)
    if network == "cardano":
        return f"web+cardano:{address}"
    return f"{network}:{address}"


def _stellar(address: str) -> str:
    """SEP-0007: web+stellar:pay?destination=G…&memo=<tag>&memo_type=MEMO_ID (the tag rides in the address as ?dt=)."""
    bare, _, tag = address.partition("?dt=")
    return f"web+stellar:pay?destination={bare}" + (f"&memo={tag}&memo_type=MEMO_ID" if tag else "")
