"""Rates and coins against the Ruby client's sandbox recordings (tests/recordings/sandbox-ruby/): shapes, both
spellings of each pair, the rate invoices are quoted at, and coin networks field by field."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cryptopay_client import CryptopayError
from tests.emulator.shapes import DECIMAL, RECORDINGS, shape_differences


def recorded(name: str) -> dict:
    return json.loads((RECORDINGS / "sandbox-ruby" / f"{name}.json").read_text())["interactions"][0]["response"]


def test_all_rates_name_every_pair_both_ways_with_a_buy_and_a_sell_rate(emu) -> None:
    rates = emu.client.rates()
    sample = recorded("rates_all_excerpt")["data"]
    assert not shape_differences(sample["BTCEUR"], rates["BTCEUR"])
    for key, quote in rates.items():
        joined = key.replace("/", "")
        assert rates[joined] == quote, key  # "BTC/EUR" and "BTCEUR" are the same quote, as recorded
        assert DECIMAL.match(quote["buy_rate"]) and DECIMAL.match(quote["sell_rate"]), (key, quote)
    for key in ("BTCEUR", "BTC/EUR", "ETHEUR", "BTCUSD", "LTCBTC"):
        assert key in rates and key in sample


def test_one_rate_has_the_recorded_shape_and_is_the_rate_invoices_are_quoted_at(emu) -> None:
    emu.control("PUT", "/rates/BTC/EUR", {"rate": "52976.3931"})
    one = emu.client.rate("BTC", "EUR")
    assert set(one) == set(recorded("rates_retrieve")["data"])
    assert one["sell_rate"] == "52976.3931" and Decimal(one["buy_rate"]) < Decimal(one["sell_rate"])
    invoice = emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC")
    assert invoice["exchange"]["rate"] == one["sell_rate"]
    assert emu.client.rates()["BTC/EUR"] == one


def test_an_unknown_pair_is_not_found(emu) -> None:
    assert set(emu.client.rate("BTC", "EUR")) == {"buy_rate", "sell_rate"}  # so the 404 below is about the pair
    with pytest.raises(CryptopayError) as unknown:
        emu.client.rate("FOO", "EUR")
    assert unknown.value.status == 404


def test_coins_match_the_recording_network_by_network(emu) -> None:
    coins = {c["currency"]: c for c in emu.client.coins()}
    compared = 0
    for coin in recorded("coins_list")["data"]:
        if coin["currency"] not in coins:  # DAI and BUSD: not served by the emulator
            continue
        ours = coins[coin["currency"]]
        assert {k: ours[k] for k in ("currency", "name", "logo_url")} == \
            {k: coin[k] for k in ("currency", "name", "logo_url")}
        served = {n["network"]: n for n in ours["networks"]}
        for network in coin["networks"]:
            assert served[network["network"]] == network, (coin["currency"], network["network"])
            compared += 1
    assert compared == 11
    sample = recorded("coins_list")["data"][0]
    for coin in coins.values():  # the coins the recording lacks have the same fields
        assert list(coin) == list(sample) and all(list(n) == list(sample["networks"][0]) for n in coin["networks"])
