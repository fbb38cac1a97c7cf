"""Issue 14's cosmetic differences, each as the real API shows it: subscription_id, withdrawal description, `…Z` on
objects not yet committed, Ethereum chain ids, Stellar and Cardano URIs, address formats, per-level network fees."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from cryptopay_client import CryptopayError
from tests.emulator.conftest import LiveEmulator

EXTERNAL_BTC = "2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV"
BASE58 = "[1-9A-HJ-NP-Za-km-z]"


def invoice(emu: LiveEmulator, pay_currency: str, **extra) -> dict:
    return emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency=pay_currency, **extra)


def test_invoices_carry_a_null_subscription_id_after_customer_id(emu) -> None:
    made = invoice(emu, "BTC")
    assert made["subscription_id"] is None and list(made)[:4] == ["id", "custom_id", "customer_id", "subscription_id"]
    assert emu.client.retrieve_invoice(made["id"])["subscription_id"] is None


def test_a_withdrawal_not_yet_committed_says_Z_and_its_description_is_null(emu) -> None:
    quote = emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                              charged_amount="0.01")
    assert quote["status"] == "new" and quote["created_at"].endswith("Z") and quote["description"] is None
    committed = emu.client.commit_coin_withdrawal(quote["id"])
    assert committed["created_at"] == quote["created_at"][:-1] + "+00:00"


def test_ethereum_uris_carry_the_chain_id(emu) -> None:
    eth, usdt = invoice(emu, "ETH"), invoice(emu, "USDT")
    assert eth["uri"].startswith(f"ethereum:{eth['address']}@5?value=")
    assert re.fullmatch(rf"ethereum:0x[0-9a-f]{{40}}@5/transfer\?address={usdt['address']}&uint256=\S+", usdt["uri"])
    channel = emu.client.create_channel(name="e", pay_currency="ETH", receiver_currency="EUR")
    assert channel["uri"] == f"ethereum:{channel['address']}@5"


def test_stellar_and_cardano_use_their_wallet_uri_schemes(emu) -> None:
    xlm = invoice(emu, "XLM")
    account, tag = re.fullmatch(r"(G[A-Z2-7]{55})\?dt=(\d+)", xlm["address"]).groups()
    assert xlm["uri"] == (f"web+stellar:pay?destination={account}&memo={tag}&memo_type=MEMO_ID"
                          f"&amount={xlm['pay_amount']}")
    ada = invoice(emu, "ADA")
    assert re.fullmatch(r"addr_test1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{98}", ada["address"])
    assert ada["uri"] == f"web+cardano:{ada['address']}?amount={ada['pay_amount']}"


def test_solana_and_bnb_smart_chain_addresses_have_their_formats(emu) -> None:
    from cryptopay_emulator.keccak import checksummed  # here, so the other tests run on an emulator without it
    sol = invoice(emu, "SOL")
    assert re.fullmatch(f"{BASE58}{{44}}", sol["address"])
    bnb = invoice(emu, "BNB")
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", bnb["address"]) and checksummed(bnb["address"]) == bnb["address"]
    assert bnb["address"] != bnb["address"].lower()  # EIP-55 mixed case (a 40-digit address without letters: ~0)
    eth = invoice(emu, "ETH")["address"]
    assert eth == eth.lower()  # Ethereum addresses are recorded in lower case


def test_the_checksum_hash_is_keccak() -> None:
    """The sponge is SHA-3's with Keccak's padding: checked against hashlib's SHA3-256, then EIP-55's own examples."""
    import hashlib

    from cryptopay_emulator.keccak import checksummed, sponge
    assert all(sponge(b"a" * n, 0x06) == hashlib.sha3_256(b"a" * n).digest() for n in (0, 1, 135, 136, 137, 300))
    for address in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert checksummed(address.lower()) == address


def test_the_network_fee_follows_the_level_asked_for(emu) -> None:
    fees = emu.client._call("GET", "/api/coin_withdrawals/network_fees")["data"]
    btc = {f["level"]: Decimal(f["fee"]) for f in fees if f["currency"] == "BTC"}
    assert btc["fast"] > btc["average"] > btc["slow"]
    quoted = {level: emu.client.create_coin_withdrawal(
        address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC", charged_amount="0.01",
        network_fee_level=level) for level in ("fast", "slow")}
    for level, withdrawal in quoted.items():
        assert (withdrawal["network_fee_level"], Decimal(withdrawal["network_fee"])) == (level, btc[level])
        assert Decimal(withdrawal["received_amount"]) == Decimal("0.01") - btc[level]
    default = emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                                charged_amount="0.01")
    assert (default["network_fee_level"], Decimal(default["network_fee"])) == ("average", btc["average"])
    with pytest.raises(CryptopayError) as bad:
        emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                          charged_amount="0.01", network_fee_level="turbo")
    assert bad.value.status == 422 and bad.value.details[0]["target"] == "network_fee_level"
