"""Customers with refund addresses (docs/cryptopay-channels-payouts-facts.md §19): create, retrieve, list, update."""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.errors import DuplicateCustomId, Invalid, detail
from cryptopay_emulator.store import Store
from cryptopay_emulator.validation import require_object


@dataclass
class Customer:
    id: str
    currency: str
    addresses: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        # Both formats, as the 2022/2023 answers carry them: the legacy map is one address per currency.
        return {"id": self.id, "currency": self.currency,
                "refund_addresses": {a["currency"]: a["address"] for a in self.addresses},
                "addresses": [dict(a) for a in self.addresses]}


class CustomerBackend:
    def __init__(self, account: Account):
        self.account = account
        self.reset()

    def reset(self) -> None:
        with self.account.lock:
            self._store: Store[Customer] = Store()

    def create(self, params: object) -> dict:
        with self.account.lock:
            body = require_object(params)
            customer_id = body.get("id")
            problems = [] if isinstance(customer_id, str) and 0 < len(customer_id) <= 255 else [
                detail("must_be_string", "id", "must be a string of at most 255 characters")]
            currency, addresses = _currency(body, problems), _addresses(body, problems)
            if problems:
                raise Invalid(details=problems)
            if self._store.find(customer_id) is not None:
                raise DuplicateCustomId()  # INFERRED: the id is the merchant's reference, unique like custom_id
            return self._store.add(customer_id, Customer(customer_id, currency, addresses)).to_json()

    def refund_address(self, customer_id: str, currency: str) -> str | None:
        """The customer's address for `currency`, where a held payment in it is sent back (§6); None if none."""
        with self.account.lock:
            customer = self._store.find(customer_id)
            found = [a["address"] for a in customer.addresses if a["currency"] == currency] if customer else []
            return found[0] if found else None

    def get(self, customer_id: str) -> dict:
        with self.account.lock:
            return self._store.get(customer_id).to_json()

    def list(self, starting_after: str | None = None) -> dict:
        with self.account.lock:
            page, meta = self._store.page(starting_after=starting_after, uuid_ids=False)
            return {"data": [customer.to_json() for customer in page], "meta": meta}

    def update(self, customer_id: str, params: object) -> dict:
        """`currency` and `addresses` as given; a new address list replaces the old one (INFERRED, §19)."""
        with self.account.lock:
            customer, body, problems = self._store.get(customer_id), require_object(params), []
            currency = _currency(body, problems) if "currency" in body else customer.currency
            addresses = _addresses(body, problems) if {"addresses", "refund_addresses"} & set(body) else None
            if problems:
                raise Invalid(details=problems)
            customer.currency = currency
            customer.addresses = customer.addresses if addresses is None else addresses
            return customer.to_json()


def _currency(body: dict, problems: list) -> str:
    currency, allowed = body.get("currency"), money.FIAT + money.CRYPTO
    if not isinstance(currency, str) or currency not in allowed:
        problems.append(detail("must_be_included_in", "currency", "must be one of: " + ", ".join(allowed),
                               list=list(allowed)))
    return currency


def _addresses(body: dict, problems: list) -> list[dict]:
    """`addresses: [{address, currency, network}]`, or the legacy `refund_addresses: {currency: address}`."""
    raw = body.get("addresses")
    if raw is None and isinstance(body.get("refund_addresses"), dict):
        raw = [{"address": a, "currency": c} for c, a in body["refund_addresses"].items()]
    if raw is not None and not isinstance(raw, list):
        problems.append(detail("must_be_array", "addresses", "must be a list of addresses"))
        return []
    out = []
    for item in raw or []:
        currency = item.get("currency") if isinstance(item, dict) else None
        address = item.get("address") if isinstance(item, dict) else None
        if currency not in money.CRYPTO or not isinstance(address, str) or not address.strip():
            problems.append(detail("invalid_coin_address", "addresses", "each must be a known coin and an address"))
            continue
        network = item.get("network")
        out.append({"address": address, "currency": currency,
                    "network": network if isinstance(network, str) else money.DEFAULT_NETWORK[currency]})
    return out
