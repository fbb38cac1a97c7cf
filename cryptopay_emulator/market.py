"""Rates and coins: GET /api/rates, /api/rates/{base}/{quote} and /api/coins, from the account's own rates and the
currencies the emulator serves (shapes as recorded: tests/recordings/sandbox-ruby/rates_*.json, coins_list.json)."""
from __future__ import annotations

from decimal import Decimal

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.errors import NotFound

# INFERRED: the sandbox quotes two rates per pair (RB-cas rates/all.yml); invoices, channels and payouts use one
# close to `sell_rate` (create.yml's BTCEUR 53115.5306 beside sell 53171.9043), and buy is about 4.65 % lower
# (BTCEUR 50699.0267 / 53171.9043). The emulator's one rate is `sell_rate`; `buy_rate` is that spread below it.
BUY_SPREAD = Decimal("0.0465")
COIN_NAMES = {"BTC": "Bitcoin", "ETH": "Ethereum", "LTC": "Litecoin", "XRP": "XRP", "XLM": "Stellar Lumens",
              "USDT": "Tether", "USDC": "USD Coin", "BCH": "Bitcoin Cash", "ADA": "Cardano", "BNB": "BNB",
              "SOL": "Solana", "DOGE": "Dogecoin", "TRX": "Tron", "SHIB": "Shiba Inu"}
NETWORK_NAMES = {"bitcoin": "Bitcoin", "ethereum": "Ethereum (ERC20)", "litecoin": "Litecoin", "ripple": "Ripple",
                 "stellar": "Stellar", "tron": "Tron (TRC20)", "bitcoin_cash": "Bitcoin Cash", "cardano": "Cardano",
                 "bnb_smart_chain": "BNB Smart Chain (BEP20)", "solana": "Solana", "dogecoin": "Dogecoin"}
DESTINATION_TAGS = {"ripple": {"required": True, "name": "Destination tag"},
                    "stellar": {"required": False, "name": "Memo ID"}}
LOGO_URL = "https://ledger-development.s3.eu-west-1.amazonaws.com/public/currencies/{currency}.svg"  # as recorded


class MarketBackend:
    """Reads only: rates are the account's (settable through the control API), coins are what the emulator serves."""

    def __init__(self, account: Account):
        self.account = account

    def reset(self) -> None:
        """Rates live on the account and are reset with it."""

    def rates(self) -> dict:
        """Every pair twice, as recorded: "BTCEUR" and "BTC/EUR" with the same two rates."""
        with self.account.lock:
            out = {}
            for base, quote in self._pairs():
                out[base + quote] = out[f"{base}/{quote}"] = self._quote(base, quote)
            return {"data": out}

    def rate(self, base: str, quote: str) -> dict:
        with self.account.lock:
            if (base, quote) not in self._pairs():
                raise NotFound()  # INFERRED: an unknown pair is not_found like any unknown resource
            return {"data": self._quote(base, quote)}

    def coins(self) -> dict:
        return {"data": [coin_json(currency) for currency in money.CRYPTO]}

    def _pairs(self) -> list[tuple[str, str]]:
        return [(base, quote) for base in money.CRYPTO for quote in money.FIAT + money.CRYPTO if quote != base]

    def _quote(self, base: str, quote: str) -> dict:
        sell = self.account.rate(base, quote)
        places = max(-sell.as_tuple().exponent, 4)
        buy = money.floor_to(sell * (1 - BUY_SPREAD), places)
        return {"buy_rate": money.fmt(buy), "sell_rate": money.fmt(sell)}


def coin_json(currency: str) -> dict:
    networks = money.NETWORKS.get(currency, (money.DEFAULT_NETWORK[currency],))
    return {"currency": currency, "name": COIN_NAMES[currency], "logo_url": LOGO_URL.format(currency=currency),
            "networks": [{"network": network, "name": NETWORK_NAMES[network],
                          "precision": money.NETWORK_PRECISION[currency],
                          "destination_tag": DESTINATION_TAGS.get(network),
                          "invoices": {"enabled": True}, "channels": {"enabled": True},
                          "coin_withdrawals": {"enabled": True}} for network in networks]}
