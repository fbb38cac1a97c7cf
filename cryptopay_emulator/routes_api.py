"""Thin HTTP handlers for the public /api: authenticate, parse, call the backend, render."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, request

from cryptopay_emulator.auth import Authenticator, RateLimiter
from cryptopay_emulator.backend import Backends
from cryptopay_emulator.channels import ChannelBackend
from cryptopay_emulator.errors import Invalid, PayloadTooLarge, detail
from cryptopay_emulator.customers import CustomerBackend
from cryptopay_emulator.early import EarlyNotifications
from cryptopay_emulator.invoices import InvoiceBackend
from cryptopay_emulator.ledger import LedgerBackend
from cryptopay_emulator.market import MarketBackend
from cryptopay_emulator.resolutions import ResolutionBackend
from cryptopay_emulator.store import require_uuid
from cryptopay_emulator.withdrawals import WithdrawalBackend


def render(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


def raw_body() -> bytes:
    """The body, never longer than MAX_CONTENT_LENGTH: werkzeug refuses a longer Content-Length unread, but cuts a
    chunked body off at the limit without a word, so a chunked body that reaches the limit is refused here."""
    raw = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and request.content_length is None and len(raw) >= limit:
        raise PayloadTooLarge()
    return raw


def json_body() -> dict:
    raw = raw_body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Invalid(details=[detail("must_be_json", "body", "must be a JSON object")]) from None
    except RecursionError:  # valid JSON nested deeper than the parser goes: no real body comes near it
        raise Invalid(details=[detail("must_be_json", "body", "must not be nested this deeply")]) from None
    if not isinstance(body, dict):
        raise Invalid(details=[detail("must_be_json", "body", "must be a JSON object")])
    return body


def signed_path() -> str:
    """The path exactly as the client sent it (still percent-encoded), with its query: what was signed."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return quote(request.path) + (f"?{query}" if query else "")


def api_blueprint(backends: Backends, auth: Authenticator, limiter: RateLimiter) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.before_request
    def authenticate() -> None:
        g.api_key = auth.check(request.method, signed_path(), raw_body(),
                               request.headers.get("Authorization"), request.headers.get("Date"))
        limiter.hit(g.api_key)
        if request.method == "GET":  # a read the control API armed to fail (sandbox control; nothing otherwise)
            backends.faults.check(list((request.view_args or {}).values()), request.path)

    invoice_routes(bp, backends.invoices, backends.early)
    resolution_routes(bp, backends.resolutions)
    withdrawal_routes(bp, backends.withdrawals)
    ledger_routes(bp, backends.ledger)
    customer_routes(bp, backends.customers)
    channel_routes(bp, backends.channels, backends.early)
    market_routes(bp, backends.market)
    return bp


def market_routes(bp: Blueprint, market: MarketBackend) -> None:
    @bp.get("/rates")
    def all_rates() -> Response:
        return render(market.rates())

    @bp.get("/rates/<base>/<quote_currency>")
    def one_rate(base: str, quote_currency: str) -> Response:
        return render(market.rate(base, quote_currency))

    @bp.get("/coins")
    def coins() -> Response:
        return render(market.coins())


def channel_routes(bp: Blueprint, channels: ChannelBackend, early: EarlyNotifications) -> None:
    @bp.post("/channels")
    def create_channel() -> Response:
        channel = channels.create(json_body())
        early.after_create("channel", channel)  # a notice armed for it: its payment's notifications go first
        return render({"data": channel}, 201)

    @bp.get("/channels")
    def list_channels() -> Response:
        return render(channels.list(request.args.get("customer_id"), request.args.get("starting_after")))

    @bp.get("/channels/<channel_id>")
    def retrieve_channel(channel_id: str) -> Response:
        return render({"data": channels.get(require_uuid(channel_id, "channel_id"))})

    @bp.get("/channels/custom_id/<path:custom_id>")
    def retrieve_channel_by_custom_id(custom_id: str) -> Response:
        return render({"data": channels.get_by_custom_id(custom_id)})

    @bp.patch("/channels/<channel_id>")
    def update_channel(channel_id: str) -> Response:
        return render({"data": channels.update(require_uuid(channel_id, "channel_id"), json_body())})

    @bp.get("/channels/<channel_id>/payments")
    def list_channel_payments(channel_id: str) -> Response:
        return render(channels.payments(require_uuid(channel_id, "channel_id"), request.args.get("starting_after")))

    @bp.get("/channels/<channel_id>/payments/<payment_id>")
    def retrieve_channel_payment(channel_id: str, payment_id: str) -> Response:
        return render({"data": channels.payment(require_uuid(channel_id, "channel_id"),
                                                require_uuid(payment_id, "channel_payment_id"))})


def ledger_routes(bp: Blueprint, ledger: LedgerBackend) -> None:
    @bp.get("/accounts")
    def list_accounts() -> Response:
        return render(ledger.accounts())

    @bp.get("/accounts/<account_id>/transactions")
    def list_account_transactions(account_id: str) -> Response:
        return render(ledger.account_transactions(require_uuid(account_id, "account_id"),
                                                  request.args.get("starting_after")))

    @bp.get("/transactions")
    def list_transactions() -> Response:
        return render(ledger.transactions(request.args.to_dict()))

    @bp.get("/coin_withdrawals/network_fees")
    def network_fees() -> Response:
        return render(ledger.network_fees())


def customer_routes(bp: Blueprint, customers: CustomerBackend) -> None:
    @bp.post("/customers")
    def create_customer() -> Response:
        return render({"data": customers.create(json_body())}, 201)

    @bp.get("/customers")
    def list_customers() -> Response:
        return render(customers.list(request.args.get("starting_after")))

    @bp.get("/customers/<path:customer_id>")
    def retrieve_customer(customer_id: str) -> Response:
        return render({"data": customers.get(customer_id)})

    # PATCH in the SDKs; the older reference documents POST (facts §19)
    @bp.route("/customers/<path:customer_id>", methods=["PATCH", "POST"])
    def update_customer(customer_id: str) -> Response:
        return render({"data": customers.update(customer_id, json_body())})


def invoice_routes(bp: Blueprint, invoices: InvoiceBackend, early: EarlyNotifications) -> None:
    @bp.post("/invoices")
    def create_invoice() -> Response:
        invoice = invoices.create(json_body())
        early.after_create("invoice", invoice)  # a notice armed for it: its notifications go first
        return render({"data": invoice}, 201)

    @bp.get("/invoices")
    def list_invoices() -> Response:
        return render(invoices.list(request.args.get("customer_id"), request.args.get("starting_after")))

    @bp.get("/invoices/<invoice_id>")
    def retrieve_invoice(invoice_id: str) -> Response:
        return render({"data": invoices.get(require_uuid(invoice_id, "invoice_id"))})

    @bp.get("/invoices/custom_id/<path:custom_id>")
    def retrieve_by_custom_id(custom_id: str) -> Response:
        return render({"data": invoices.get_by_custom_id(custom_id)})


def resolution_routes(bp: Blueprint, resolutions: ResolutionBackend) -> None:
    @bp.post("/invoices/<invoice_id>/recalculations")
    def create_recalculation(invoice_id: str) -> Response:
        force = json_body().get("force_commit", False)
        if not isinstance(force, bool):
            raise Invalid(details=[detail("must_be_boolean", "force_commit", "must be true or false")])
        return render({"data": resolutions.create_recalculation(require_uuid(invoice_id, "invoice_id"), force)}, 201)

    @bp.post("/invoices/<invoice_id>/recalculations/<recalculation_id>/commit")
    def commit_recalculation(invoice_id: str, recalculation_id: str) -> Response:
        return render({"data": resolutions.commit_recalculation(require_uuid(invoice_id, "invoice_id"),
                                                                 require_uuid(recalculation_id, "recalculation_id"))})

    @bp.post("/invoices/<invoice_id>/refunds")
    def create_refund(invoice_id: str) -> Response:
        address = json_body().get("address")
        return render({"data": resolutions.create_refund(require_uuid(invoice_id, "invoice_id"), address)}, 201)

    @bp.get("/invoices/<invoice_id>/refunds")
    def list_refunds(invoice_id: str) -> Response:
        return render({"data": resolutions.list_refunds(require_uuid(invoice_id, "invoice_id"))})


def withdrawal_routes(bp: Blueprint, withdrawals: WithdrawalBackend) -> None:
    @bp.post("/coin_withdrawals")
    def create_coin_withdrawal() -> Response:
        return render({"data": withdrawals.create(json_body())}, 201)

    @bp.get("/coin_withdrawals")
    def list_coin_withdrawals() -> Response:
        return render(withdrawals.list(request.args.get("customer_id"), request.args.get("starting_after")))

    @bp.get("/coin_withdrawals/<withdrawal_id>")
    def retrieve_coin_withdrawal(withdrawal_id: str) -> Response:
        return render({"data": withdrawals.get(require_uuid(withdrawal_id, "coin_withdrawal_id"))})

    @bp.get("/coin_withdrawals/custom_id/<path:custom_id>")
    def retrieve_coin_withdrawal_by_custom_id(custom_id: str) -> Response:
        return render({"data": withdrawals.get_by_custom_id(custom_id)})

    @bp.post("/coin_withdrawals/<withdrawal_id>/commit")
    def commit_coin_withdrawal(withdrawal_id: str) -> Response:
        return render({"data": withdrawals.commit(require_uuid(withdrawal_id, "coin_withdrawal_id"))})
