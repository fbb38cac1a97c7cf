"""Request-body checks for the backend, collecting every problem at once in the real API's detail format."""
from __future__ import annotations

from decimal import Decimal

from cryptopay_emulator import money
from cryptopay_emulator.errors import Invalid, detail

STRING_FIELDS = ("custom_id", "customer_id", "name", "description", "success_redirect_url",
                 "unsuccess_redirect_url", "payer_email", "subscription_id")
WITHDRAWAL_AMOUNTS = ("charged_amount", "charged_amount_to_send", "received_amount")


def require_object(params: object) -> dict:
    if not isinstance(params, dict):
        raise Invalid(details=[detail("must_be_object", "body", "must be a JSON object")])
    return params


def _included(problems: list, target: str, value: object, allowed: tuple | list) -> None:
    if not isinstance(value, str) or value not in allowed:
        problems.append(detail("must_be_included_in", target, "must be one of: " + ", ".join(allowed),
                               list=list(allowed)))


def _network(problems: list, params: dict, coin: object) -> str | None:
    network = params.get("network")
    if network is not None and coin in money.CRYPTO:
        _included(problems, "network", network, money.NETWORKS.get(coin, (money.DEFAULT_NETWORK[coin],)))
    return network


def _strings(problems: list, params: dict, keys: tuple) -> dict:
    out = {}
    for key in keys:
        value = params.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            problems.append(detail("must_be_string", key, "must be a string of at most 255 characters"))
        out[key] = value
    return out


def invoice_params(params: object) -> dict:
    params = require_object(params)
    problems: list[dict] = []
    amount = money.parse_amount(params.get("price_amount"))
    if amount is None:
        problems.append(detail("must_be_positive_decimal", "price_amount", "must be a positive decimal string"))
    pay, price = params.get("pay_currency"), params.get("price_currency")
    _included(problems, "pay_currency", pay, money.CRYPTO)
    _included(problems, "price_currency", price, money.FIAT + money.CRYPTO)
    out = {"price_amount": amount, "pay_currency": pay, "price_currency": price,
           "network": _network(problems, params, pay)}
    out.update(_strings(problems, params, STRING_FIELDS))
    metadata = params.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict)
                                 or not all(isinstance(v, str) for v in metadata.values())):
        problems.append(detail("must_be_string_map", "metadata", "must be an object of string values"))
    out["metadata"] = metadata
    if problems:
        raise Invalid(details=problems)
    return out


def withdrawal_params(params: object) -> dict:
    """API_FACTS §9: address, both currencies, exactly one amount field, optional network/ids/force_commit."""
    params = require_object(params)
    problems: list[dict] = []
    address = params.get("address")
    if not isinstance(address, str) or not address.strip() or len(address) > 255:
        problems.append(detail("invalid_coin_address", "address", "must be a valid coin address"))
    charged, received = params.get("charged_currency"), params.get("received_currency")
    _included(problems, "charged_currency", charged, money.CRYPTO + money.FIAT)
    _included(problems, "received_currency", received, money.CRYPTO)
    given = [k for k in WITHDRAWAL_AMOUNTS if params.get(k) is not None]
    amount: Decimal | None = None
    if len(given) != 1:
        problems.append(detail("must_be_exactly_one_of", "amount", "give exactly one of: "
                               + ", ".join(WITHDRAWAL_AMOUNTS), list=list(WITHDRAWAL_AMOUNTS)))
    else:
        amount = money.parse_amount(params[given[0]])
        if amount is None:
            problems.append(detail("must_be_positive_decimal", given[0], "must be a positive decimal string"))
    force = params.get("force_commit", False)
    if not isinstance(force, bool):
        problems.append(detail("must_be_boolean", "force_commit", "must be true or false"))
    level = params.get("network_fee_level", "average")  # "`average` is used by default" (§10)
    _included(problems, "network_fee_level", level, ("slow", "average", "fast"))
    out = {"address": address, "charged_currency": charged, "received_currency": received,
           "amount_field": given[0] if given else None, "amount": amount, "force_commit": force,
           "network": _network(problems, params, received), "network_fee_level": level}
    out.update(_strings(problems, params, ("custom_id", "customer_id")))
    if problems:
        raise Invalid(details=problems)
    return out


def channel_params(params: object) -> dict:
    """ChannelParams (docs/cryptopay-channels-payouts-facts.md §2): name and both currencies required."""
    params = require_object(params)
    problems: list[dict] = []
    name = params.get("name")
    if not isinstance(name, str) or not name or len(name) > 255:
        problems.append(detail("must_be_filled", "name", "must be filled"))
    pay, receiver = params.get("pay_currency"), params.get("receiver_currency")
    _included(problems, "pay_currency", pay, money.CRYPTO)
    _included(problems, "receiver_currency", receiver, money.FIAT + money.CRYPTO)
    out = {"name": name, "pay_currency": pay, "receiver_currency": receiver,
           "network": _network(problems, params, pay)}
    out.update(_strings(problems, params, ("description", "custom_id", "customer_id")))
    if problems:
        raise Invalid(details=problems)
    return out


def channel_update_params(params: object) -> dict:
    """ChannelUpdateParams (§2): name, description, status, customer_id, all optional; only those given change."""
    params = require_object(params)
    problems: list[dict] = []
    out = {k: params[k] for k in ("name", "description", "status", "customer_id") if k in params}
    if "status" in out:
        _included(problems, "status", out["status"], ("enabled", "disabled"))
    if "name" in out and (not isinstance(out["name"], str) or not out["name"] or len(out["name"]) > 255):
        problems.append(detail("must_be_filled", "name", "must be filled"))
    _strings(problems, out, ("description", "customer_id"))
    if problems:
        raise Invalid(details=problems)
    return out
