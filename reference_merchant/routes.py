"""HTTP routes: /health, the Cryptopay callback endpoint and the certification probe v1 (bearer-token protected; v2
adds routes_v2)."""
from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Flask, Response, jsonify, request
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from cryptopay_client.callbacks import SIGNATURE_HEADER
from reference_merchant.callbacks import CallbackEnvelope
from reference_merchant.deposits import DepositDesk, Deposits
from reference_merchant.ledger import Ledger
from reference_merchant.money import AMOUNT_RULE, parse_amount


log = logging.getLogger("reference_merchant.routes")


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


def health_blueprint(engine: Engine) -> Blueprint:
    """GET /health, without the probe's token, for whoever runs the merchant (a start script, a load balancer):
    200 while the database answers, 503 when it does not; nothing else is said."""
    bp = Blueprint("health", __name__)

    @bp.get("/health")
    def health() -> tuple[Response, int]:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health: the database does not answer (%s)", type(exc).__name__)
            return jsonify({"ok": False, "database": "unreachable"}), 503
        return jsonify({"ok": True, "database": "ok"}), 200

    return bp


def callbacks_blueprint(envelope: CallbackEnvelope) -> Blueprint:
    bp = Blueprint("callbacks", __name__)

    @bp.post("/callbacks/cryptopay")
    def receive() -> tuple[Response, int]:
        # The raw bytes, before any parsing: the signature covers exactly these. MAX_CONTENT_LENGTH has
        # already refused (413) a body too large to be a callback, before it was read.
        try:
            outcome = envelope.handle(request.get_data(cache=False), _signature_header())
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


def probe_blueprint(token: str, envelope: CallbackEnvelope, deposits: Deposits, desk: DepositDesk,
                    ledger: Ledger) -> Blueprint:
    bp = Blueprint("probe", __name__, url_prefix="/probe")

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
        placed = desk.open(body["customer_id"], body["price_amount"], body["price_currency"], body["pay_currency"],
                           body.get("network"), body.get("description"))
        return jsonify(placed.body), placed.http_status

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
        return jsonify({"invoice_id": invoice_id, "callbacks": envelope.received(invoice_id)}), 200

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
