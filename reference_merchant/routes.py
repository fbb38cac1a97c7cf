"""HTTP routes: the Cryptopay callback endpoint and the certification probe v1 (bearer-token protected)."""
from __future__ import annotations

import hmac
import uuid
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Flask, Response, jsonify, request

from cryptopay_client import CryptopayError, TransportError
from cryptopay_client.callbacks import SIGNATURE_HEADER
from reference_merchant.callbacks import CallbackProcessor
from reference_merchant.deposits import Deposits
from reference_merchant.ledger import Ledger


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def callbacks_blueprint(processor: CallbackProcessor) -> Blueprint:
    bp = Blueprint("callbacks", __name__)

    @bp.post("/callbacks/cryptopay")
    def receive() -> tuple[Response, int]:
        # The raw bytes, before any parsing: the signature covers exactly these.
        outcome = processor.handle(request.get_data(cache=False), request.headers.get(SIGNATURE_HEADER))
        return jsonify({"outcome": outcome.message}), outcome.http_status

    return bp


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
        params = {"price_amount": body["price_amount"], "price_currency": body["price_currency"],
                  "pay_currency": body["pay_currency"], "customer_id": body["customer_id"],
                  "custom_id": f"deposit-{uuid.uuid4()}"}
        if body.get("network"):
            params["network"] = body["network"]
        try:
            invoice = processor.cryptopay.create_invoice(**params)
        except CryptopayError as exc:
            return _error(502, "cryptopay_error", f"Cryptopay refused the invoice: {exc.code}")
        except TransportError:
            return _error(502, "cryptopay_unreachable", "Cryptopay could not be reached")
        deposits.add(invoice, body["customer_id"])
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


def _deposit_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    for key in ("customer_id", "price_amount", "price_currency", "pay_currency"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            return f"{key} is required and must be a non-empty string"
    try:
        if Decimal(body["price_amount"]) <= 0:
            return "price_amount must be positive"
    except InvalidOperation:
        return "price_amount must be a decimal string"
    return None


def register_errors(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[Response, int]:
        return _error(404, "not_found", "no such route")

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> tuple[Response, int]:
        return _error(405, "method_not_allowed", "method not allowed")

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[Response, int]:
        return _error(500, "internal", "internal error; Cryptopay will retry the callback")
