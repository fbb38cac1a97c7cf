"""HTTP routes: the Cryptopay callback endpoint and the certification probe v1 (bearer-token protected; v2 adds routes_v2)."""
from __future__ import annotations

import hmac
import uuid

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from cryptopay_client import CryptopayError, TransportError
from cryptopay_client.callbacks import SIGNATURE_HEADER
from reference_merchant.callbacks import CallbackProcessor
from reference_merchant.deposits import Deposits
from reference_merchant.ledger import Ledger
from reference_merchant.money import AMOUNT_RULE, parse_amount


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def callbacks_blueprint(processor: CallbackProcessor) -> Blueprint:
    bp = Blueprint("callbacks", __name__)

    @bp.post("/callbacks/cryptopay")
    def receive() -> tuple[Response, int]:
        # The raw bytes, before any parsing: the signature covers exactly these. MAX_CONTENT_LENGTH has
        # already refused (413) a body too large to be a callback, before it was read.
        try:
            outcome = processor.handle(request.get_data(cache=False), _signature_header())
        except RecursionError:  # a signed body nested deeper than any callback: refused, nothing changed
            return _error(400, "invalid", "not a Cryptopay callback body (nested too deeply)")
        return jsonify({"outcome": outcome.message}), outcome.http_status

    return bp


def _signature_header() -> str | None:
    """A signature is hex; anything else (non-ASCII bytes included) can only fail the check, so it is passed on
    as a value that fails it instead of reaching the constant-time compare, which refuses non-ASCII text."""
    value = request.headers.get(SIGNATURE_HEADER)
    if value is None or (value.isascii() and len(value) <= 256):
        return value
    return "invalid"


def probe_blueprint(token: str, processor: CallbackProcessor, ledger: Ledger) -> Blueprint:
    bp = Blueprint("probe", __name__, url_prefix="/probe")
    deposits = Deposits(processor.engine)

    @bp.before_request
    def require_token() -> tuple[Response, int] | None:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return _error(401, "unauthorized", "a valid probe bearer token is required")
        return None

    @bp.post("/deposits")
    def create_deposit() -> tuple[Response, int]:
        body = request.get_json(silent=True)
        problem = _deposit_problem(body)
        if problem:
            return _error(422, "invalid", problem)
        custom_id = f"deposit-{uuid.uuid4()}"
        params = {"price_amount": body["price_amount"], "price_currency": body["price_currency"],
                  "pay_currency": body["pay_currency"], "customer_id": body["customer_id"], "custom_id": custom_id}
        for optional in ("network", "description"):
            if body.get(optional):
                params[optional] = body[optional]
        # Recorded first: the invoice's first callback can arrive before Cryptopay's answer to this call does.
        deposits.request(custom_id, body["customer_id"], body["price_amount"], body["price_currency"])
        try:
            invoice = processor.cryptopay.create_invoice(**params)
        except CryptopayError as exc:
            deposits.withdraw(custom_id)  # Cryptopay answered "no": no invoice exists
            return _error(502, "cryptopay_error", f"Cryptopay refused the invoice: {exc.code}")
        except TransportError:
            # Kept: the invoice may exist after all, and its callbacks will still find this deposit by custom_id.
            return _error(502, "cryptopay_unreachable", "Cryptopay could not be reached")
        deposits.attach(custom_id, invoice["id"])
        return jsonify({"invoice_id": invoice["id"], "custom_id": invoice["custom_id"]}), 201

    @bp.get("/customers/<customer_id>/balance")
    def balance(customer_id: str) -> tuple[Response, int]:
        return jsonify({"customer_id": customer_id, "balances": ledger.balances(customer_id)}), 200

    @bp.get("/invoices/<invoice_id>")
    def invoice(invoice_id: str) -> tuple[Response, int]:
        deposit = deposits.get(invoice_id)
        if deposit is None:
            return _error(404, "not_found", "this merchant never created that invoice")
        return jsonify({"invoice_id": invoice_id, "status": deposit["status"],
                        "status_context": deposit["status_context"]}), 200

    @bp.get("/invoices/<invoice_id>/callbacks")
    def received(invoice_id: str) -> tuple[Response, int]:
        return jsonify({"invoice_id": invoice_id, "callbacks": processor.received(invoice_id)}), 200

    return bp


FIELD_LIMITS = {"customer_id": 128, "price_amount": 40, "price_currency": 16, "pay_currency": 16, "network": 64,
                "description": 255}


def _deposit_problem(body: object) -> str | None:
    """Everything is checked before Cryptopay is called, so bad input creates no invoice and no row."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    for key in ("customer_id", "price_amount", "price_currency", "pay_currency"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            return f"{key} is required and must be a non-empty string"
    if body.get("network") is not None and (not isinstance(body["network"], str) or not body["network"].strip()):
        return "network, when given, must be a non-empty string"
    if body.get("description") is not None and not isinstance(body["description"], str):
        return "description, when given, must be a string"
    for key, limit in FIELD_LIMITS.items():
        if isinstance(body.get(key), str) and len(body[key]) > limit:
            return f"{key} must be at most {limit} characters"
    if parse_amount(body["price_amount"]) is None:
        return f"price_amount {AMOUNT_RULE}"
    return None


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        # Every error answers in the probe's JSON envelope, never an HTML page.
        code = (error.name or "error").lower().replace(" ", "_")
        return _error(error.code or 500, code, error.description or code)

    @app.errorhandler(RecursionError)
    def nested_too_deeply(_exc: RecursionError) -> tuple[Response, int]:
        # A probe body nested deeper than JSON's parser goes is refused like any invalid body: nothing was changed.
        return _error(422, "invalid", "body must be a JSON object (this one is nested too deeply)")

    @app.errorhandler(500)
    def server_error(_exc: Exception) -> tuple[Response, int]:  # not named _error: that would shadow the helper
        return _error(500, "internal", "internal error; Cryptopay will retry the callback")
