"""The certification probe v2 routes: capabilities, channels, channel payments, staging funding and payouts."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal

from flask import Blueprint, Response, jsonify, request

from cryptopay_client import CryptopayError, TransportError
from reference_merchant.channels import ChannelPayments, Channels
from reference_merchant.ledger import Ledger, format_amount
from reference_merchant.money import AMOUNT_RULE, parse_amount
from reference_merchant.payouts import PayoutDesk, Payouts

PRODUCTS = ["invoices", "channels", "payouts"]
CURRENCY = re.compile(r"^[A-Z0-9]{2,16}$")
LIMITS = {"customer_id": 128, "pay_currency": 16, "receive_currency": 16, "currency": 16, "network": 64,
          "amount": 40, "address": 256}


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def add_v2_routes(bp: Blueprint, channels: Channels, payments: ChannelPayments, desk: PayoutDesk,
                  payouts: Payouts, ledger: Ledger) -> None:
    """Registered on the v1 probe blueprint, behind the same bearer-token check."""

    @bp.get("/capabilities")
    def capabilities() -> tuple[Response, int]:
        return jsonify({"probe_version": 2, "products": PRODUCTS}), 200

    @bp.post("/channels")
    def open_channel() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        problem = _problem(body, ("customer_id", "pay_currency", "receive_currency"), optional=("network",))
        if problem:
            return _error(422, "invalid", problem)
        try:
            opened = channels.open(body["customer_id"], body["pay_currency"], body["receive_currency"],
                                   body.get("network"))
        except CryptopayError as exc:
            return _error(502, "cryptopay_error", f"Cryptopay refused the channel: {exc.code}")
        except TransportError:
            return _error(502, "cryptopay_unreachable", "Cryptopay could not be reached")
        return jsonify(opened.channel), 201 if opened.created else 200

    @bp.get("/channel-payments/<payment_id>")
    def channel_payment(payment_id: str) -> tuple[Response, int]:
        recorded = payments.get(payment_id)
        if recorded is None:
            return _error(404, "not_found", "this merchant has no record of that channel payment")
        return jsonify({key: recorded[key] for key in ("channel_payment_id", "channel_id", "customer_id", "status",
                                                       "status_context")}), 200

    @bp.post("/customers/<customer_id>/funding")
    def fund(customer_id: str) -> tuple[Response, int]:
        body = request.get_json(silent=True)
        problem = _problem(body, ("amount", "currency"), amounts=("amount",)) or _too_long("customer_id",
                                                                                           customer_id)
        if problem:
            return _error(422, "invalid", problem)
        ledger.move("funding", f"funding-{uuid.uuid4()}", customer_id, Decimal(body["amount"]), body["currency"])
        return jsonify({"customer_id": customer_id, "balances": ledger.balances(customer_id)}), 201

    @bp.post("/payouts")
    def request_payout() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        problem = _problem(body, ("customer_id", "amount", "currency", "pay_currency", "address"),
                           optional=("network",), amounts=("amount",))
        if problem:
            return _error(422, "invalid", problem)
        placed = desk.place(body["customer_id"], Decimal(body["amount"]), body["currency"], body["pay_currency"],
                            body["address"], body.get("network"))
        return jsonify(placed.body), placed.http_status

    @bp.get("/payouts/<payout_id>")
    def payout(payout_id: str) -> tuple[Response, int]:
        recorded = payouts.get(payout_id)
        if recorded is None or recorded["coin_withdrawal_id"] is None or recorded["status"] is None \
                or recorded["refusal"] is not None:
            return _error(404, "not_found", "this merchant never created that payout")
        debited = ledger.debited(payout_id)
        return jsonify({"payout_id": payout_id, "coin_withdrawal_id": recorded["coin_withdrawal_id"],
                        "customer_id": recorded["customer_id"], "status": recorded["status"],
                        "debited": {"amount": format_amount(debited[0], debited[1]), "currency": debited[1]}
                        if debited else None,
                        "refunded": ledger.refunded(payout_id)}), 200


def _problem(body: object, required: tuple[str, ...], optional: tuple[str, ...] = (),
             amounts: tuple[str, ...] = ()) -> str | None:
    """Everything is checked before Cryptopay is called or money moves, so bad input changes nothing."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    for key in required:
        if not isinstance(body.get(key), str) or not body[key].strip():
            return f"{key} is required and must be a non-empty string"
    for key in optional:
        if body.get(key) is not None and (not isinstance(body[key], str) or not body[key].strip()):
            return f"{key}, when given, must be a non-empty string"
    for key in (*required, *optional):
        problem = _too_long(key, body.get(key))
        if problem:
            return problem
    for key in ("currency", "pay_currency", "receive_currency"):
        if key in body and key in (*required, *optional) and not CURRENCY.match(body[key]):
            return f"{key} must be a currency code in capitals, e.g. EUR or BTC"
    for key in amounts:
        if parse_amount(body[key]) is None:
            return f"{key} {AMOUNT_RULE}"
    return None


def _too_long(key: str, value: object) -> str | None:
    limit = LIMITS.get(key)
    if limit and isinstance(value, str) and len(value) > limit:
        return f"{key} must be at most {limit} characters"
    return None
