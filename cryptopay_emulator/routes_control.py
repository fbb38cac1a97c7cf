"""Sandbox-only control API under /_emulator: clock, payments, settings, monitoring decisions, delivery log."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, request

from cryptopay_emulator.account import Account
from cryptopay_emulator.auth import RateLimiter
from cryptopay_emulator.backend import Backends
from cryptopay_emulator.channels import ChannelBackend
from cryptopay_emulator.clock import iso
from cryptopay_emulator.delivery import Deliverer
from cryptopay_emulator.errors import Invalid, NotFound, detail
from cryptopay_emulator import money
from cryptopay_emulator.money import parse_amount
from cryptopay_emulator.invoices import InvoiceBackend
from cryptopay_emulator.routes_api import json_body, render
from cryptopay_emulator.withdrawals import WithdrawalBackend


TEN_YEARS = Decimal(10 * 366 * 86400)


def _number(body: dict, key: str, maximum: Decimal = TEN_YEARS) -> Decimal:
    raw = body.get(key)
    try:
        value = Decimal(str(raw)) if isinstance(raw, (int, float, str)) and not isinstance(raw, bool) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= maximum:
        raise Invalid(details=[detail("must_be_non_negative_number", key,
                                      f"must be a number between 0 and {maximum}", max=str(maximum))])
    return value


def control_blueprint(backends: Backends, deliverer: Deliverer, limiter: RateLimiter | None = None,
                      coin_withdrawal_callbacks: bool = False) -> Blueprint:
    bp = Blueprint("control", __name__, url_prefix="/_emulator")

    @bp.get("/health")
    def health() -> Response:
        return render({"ok": True, "now": iso(backends.clock.now())})

    @bp.post("/reset")
    def reset() -> Response:
        backends.reset()
        deliverer.reset()
        return render({"ok": True})

    limiter = limiter or RateLimiter(0)
    clock_routes(bp, backends, deliverer, limiter)
    payment_routes(bp, backends.invoices, backends.channels)
    settings_routes(bp, backends.account, deliverer, limiter, coin_withdrawal_callbacks)
    money_routes(bp, backends.account)
    delivery_routes(bp, backends.invoices, deliverer)
    withdrawal_control_routes(bp, backends.account, backends.withdrawals)
    record_routes(bp, backends)
    merchant_trial_routes(bp, backends)
    return bp


def clock_routes(bp: Blueprint, backends: Backends, deliverer: Deliverer, limiter: RateLimiter) -> None:
    clock = backends.clock

    def moved() -> Response:
        backends.tick()  # expiries, cancellations and due retries happen now, not at the next poll
        deliverer.wake()
        return render({"now": iso(clock.now()), "scale": clock.scale})

    @bp.get("/clock")
    def get_clock() -> Response:
        return render({"now": iso(clock.now()), "scale": clock.scale})

    @bp.post("/clock/advance")
    def advance() -> Response:
        """The whole account's time: the clock moves on (ahead of real time) and every driven object with it."""
        seconds = float(_number(json_body(), "seconds"))
        clock.advance(seconds)
        backends.account.advance_all(seconds)
        return moved()

    @bp.post("/objects/<object_id>/advance")
    def advance_object(object_id: str) -> Response:
        """One object's time (an invoice, a coin withdrawal, a channel payment, with their notifications' retries):
        `seconds` on, or to its next deadline without them. Its past moves back instead of its future forward, so
        nothing it shows is later than now; the key's request window moves on as much (a retry that late would
        find it refilled)."""
        body = json_body()
        seconds = float(_number(body, "seconds")) if "seconds" in body else None
        until = _moment(body, "until") if "until" in body else None
        if not backends.account.timeline.knows(object_id):
            raise NotFound()
        moved_object = backends.account.advance(object_id, seconds, until)
        limiter.age(moved_object.seconds)
        deliverer.wake()
        return render({"data": moved_object.to_json()})

    @bp.post("/invoices/<invoice_id>/expire")
    def expire(invoice_id: str) -> Response:
        """The invoice's own time moved to its expiry, and what falls due then happens ({"data": invoice})."""
        moved_object = backends.account.advance(invoice_id, until=backends.invoices.expiry(invoice_id))
        limiter.age(moved_object.seconds)
        deliverer.wake()
        return render({"data": backends.invoices.get(invoice_id)})

    @bp.post("/clock/scale")
    def scale() -> Response:
        value = _number(json_body(), "scale", Decimal(10**6))
        if value == 0:
            raise Invalid(details=[detail("must_be_positive", "scale", "must be greater than zero")])
        clock.set_scale(float(value))
        return moved()


_WORD = re.compile(r"^[a-z_]{1,40}$")


def _word(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not _WORD.match(value):
        raise Invalid(details=[detail("must_be_status_word", key, "must be a status word such as completed")])
    return value


def record_routes(bp: Blueprint, backends: Backends) -> None:
    """What Cryptopay might show of a run's objects days later (one gone, one with another status, one older than
    the run): for tests of the suite's evidence verification (certify.sh --verify). Sandbox control only."""

    @bp.patch("/objects/<object_id>")
    def rewrite_object(object_id: str) -> Response:
        body = json_body()
        fields: dict[str, object] = {}
        if "status" in body:
            fields["status"] = _word(body, "status")
        if "status_context" in body:
            fields["status_context"] = None if body["status_context"] is None else _word(body, "status_context")
        if "created_at" in body:
            fields["created_at"] = _moment(body, "created_at").astimezone(timezone.utc)
        if not fields:
            raise Invalid(details=[detail("must_name_a_field", "body", "name status, status_context or created_at")])
        record = backends.rewrite(object_id, **fields)
        if record is None:
            raise NotFound()
        return render({"data": record.to_json()})

    @bp.delete("/objects/<object_id>")
    def forget_object(object_id: str) -> Response:
        if not backends.forget(object_id):
            raise NotFound()
        return render({"deleted": object_id})


def merchant_trial_routes(bp: Blueprint, backends: Backends) -> None:
    """What a merchant meets on a bad day, on purpose: notifications before a create's answer, a failing GET."""

    @bp.post("/early_notifications")
    def arm_early_notification() -> Response:
        return render({"data": backends.early.arm(json_body())}, 201)

    @bp.get("/early_notifications")
    def early_notifications() -> Response:
        return render({"data": backends.early.list()})

    @bp.post("/objects/<object_id>/read_failures")
    def arm_read_failures(object_id: str) -> Response:
        if not backends.knows(object_id):
            raise NotFound()
        return render({"data": backends.faults.arm(object_id, json_body())}, 201)

    @bp.get("/read_failures")
    def read_failures() -> Response:
        return render({"data": backends.faults.list(request.args.get("object_id"))})


def _moment(body: dict, key: str) -> datetime:
    raw = body.get(key)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid(details=[detail("must_be_iso8601", key, "must be an ISO 8601 time with its offset")])
    return moment


def payment_routes(bp: Blueprint, invoices: InvoiceBackend, channels: ChannelBackend) -> None:
    @bp.post("/payments")
    def pay() -> Response:
        body = json_body()
        to_channel = body.get("invoice_id") is None and channels.owns_address(body.get("address"))
        # Without an amount an invoice is paid exactly what it still asks for; a channel address asks for nothing.
        given = "amount" in body or to_channel
        amount = parse_amount(body.get("amount")) if given else None
        if given and amount is None:
            raise Invalid(details=[detail("must_be_positive_decimal", "amount", "must be a positive decimal string")])
        confirmed = body.get("confirmed", True)
        if not isinstance(confirmed, bool):
            raise Invalid(details=[detail("must_be_boolean", "confirmed", "must be true or false")])
        if to_channel:
            return render({"data": channels.pay(address=body["address"], amount=amount, confirmed=confirmed,
                                                risk_level=body.get("risk_level", "low"))}, 201)
        tx = invoices.pay(amount=amount, invoice_id=body.get("invoice_id"), address=body.get("address"),
                          risk_level=body.get("risk_level", "low"), confirmed=confirmed)
        return render({"data": tx}, 201)

    @bp.post("/transactions/<txid>/confirm")
    def confirm(txid: str) -> Response:
        """Confirms an invoice's transaction ({"data": invoice}) or a channel payment's ({"data": payment})."""
        if channels.owns_txid(txid):
            return render({"data": channels.confirm_transaction(txid)})
        return render({"data": invoices.confirm_transaction(txid)})

    @bp.post("/channel_payments/<payment_id>/monitoring_decision")
    def channel_monitoring_decision(payment_id: str) -> Response:
        return render({"data": channels.decide(payment_id, json_body().get("outcome"))})

    @bp.post("/invoices/<invoice_id>/monitoring_decision")
    def monitoring_decision(invoice_id: str) -> Response:
        return render({"data": invoices.resolve_illicit(invoice_id, json_body().get("outcome"))})


def settings_routes(bp: Blueprint, account: Account, deliverer: Deliverer, limiter: RateLimiter,
                    coin_withdrawal_callbacks: bool) -> None:
    @bp.get("/settings")
    def get_settings() -> Response:
        # Read-only here: the rate limit (a client paces itself by it, per minute of the emulator's clock) and
        # whether payouts are notified (an account's opt-in, the emulator's --coin-withdrawal-callbacks).
        return render({"unresolved": account.settings.unresolved, "callback_url": deliverer.url,
                       "time": "driven" if account.driven_time else "running",
                       "rate_limit_per_minute": limiter.limit, "coin_withdrawal_callbacks": coin_withdrawal_callbacks})

    @bp.put("/settings")
    def put_settings() -> Response:
        body = json_body()
        policies = body.get("unresolved", {})
        if not isinstance(policies, dict):
            raise Invalid(details=[detail("must_be_object", "unresolved", "must map context to policy")])
        url = body.get("callback_url", deliverer.url)
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise Invalid(details=[detail("must_be_url", "callback_url", "must be an http(s) URL or null")])
        time_mode = body.get("time", "driven" if account.driven_time else "running")
        if time_mode not in ("driven", "running"):
            raise Invalid(details=[detail("must_be_included_in", "time", "must be driven or running",
                                          list=["driven", "running"])])
        account.settings.set_policies(policies)
        deliverer.set_url(url)
        account.set_driven_time(time_mode == "driven")
        return get_settings()


def money_routes(bp: Blueprint, account: Account) -> None:
    @bp.put("/rates/<pay>/<price>")
    def set_rate(pay: str, price: str) -> Response:
        account.set_rate(pay, price, _number(json_body(), "rate", money.MAX_RATE))
        return render({"pair": pay + price, "rate": str(account.rate(pay, price))})

    @bp.get("/balances")
    def get_balances() -> Response:
        return render({"data": account.balances.to_json()})

    @bp.put("/balances")
    def put_balances() -> Response:
        """Sets the named currencies' balances, e.g. {"BTC": "10.0"}; the others keep theirs."""
        account.set_balances(_balances(json_body()))
        return get_balances()


def withdrawal_control_routes(bp: Blueprint, account: Account, withdrawals: WithdrawalBackend) -> None:
    @bp.post("/coin_withdrawals/<withdrawal_id>/fail")
    def fail(withdrawal_id: str) -> Response:
        """`failed`, then one step later {"outcome"}: cancelled (the default, the charge returned) or completed."""
        return render({"data": withdrawals.fail(withdrawal_id, json_body().get("outcome", "cancelled"))})

    @bp.post("/coin_withdrawals/<withdrawal_id>/hold")
    def hold(withdrawal_id: str) -> Response:
        return render({"data": withdrawals.hold(withdrawal_id)})

    @bp.post("/coin_withdrawals/<withdrawal_id>/release")
    def release(withdrawal_id: str) -> Response:
        return render({"data": withdrawals.release(withdrawal_id)})

    @bp.get("/coin_withdrawal_attempts")
    def attempts() -> Response:
        """Every POST /api/coin_withdrawals received, accepted or refused, oldest first; filtered by customer_id,
        address and custom_id (each if given): how many creates one payout request cost."""
        wanted = {key: request.args.get(key) for key in ("customer_id", "address", "custom_id")}
        return render({"data": withdrawals.attempts(**wanted)})

    @bp.post("/high_risk_addresses")
    def add_high_risk_address() -> Response:
        address = json_body().get("address")
        if not isinstance(address, str) or not address.strip():
            raise Invalid(details=[detail("invalid_coin_address", "address", "must be an address")])
        with account.lock:
            account.high_risk_addresses.add(address)
        return render({"data": sorted(account.high_risk_addresses)}, 201)

    @bp.put("/network_fees/<currency>")
    def set_network_fee(currency: str) -> Response:
        if currency not in money.CRYPTO:
            raise NotFound()
        fee = _number(json_body(), "fee", money.MAX_RATE)
        with account.lock:
            account.network_fees[currency] = fee
        return render({"currency": currency, "fee": money.fmt(fee)})


def delivery_routes(bp: Blueprint, invoices: InvoiceBackend, deliverer: Deliverer) -> None:
    @bp.get("/deliveries")
    def deliveries() -> Response:
        return render({"data": deliverer.log(request.args.get("invoice_id"), request.args.get("object_id"))})

    @bp.post("/deliveries/<delivery_id>/resend")
    def resend(delivery_id: str) -> Response:
        delivery = deliverer.resend(delivery_id, invoices.current_state)
        if delivery is None:
            raise NotFound()
        return render({"data": delivery.to_json()}, 201)

    @bp.post("/deliveries/pause")
    def pause() -> Response:
        deliverer.set_paused(True)
        return render({"paused": True})

    @bp.post("/deliveries/resume")
    def resume() -> Response:
        deliverer.set_paused(False)
        return render({"paused": False})


def _balances(body: dict) -> dict[str, Decimal]:
    allowed = money.CRYPTO + money.FIAT
    amounts = {}
    for currency, raw in body.items():
        amount = parse_amount(raw, allow_zero=True)
        if currency not in allowed or amount is None:
            raise Invalid(details=[detail("must_be_decimal_map", currency, "must map a known currency to a "
                                          "non-negative decimal string", list=list(allowed))])
        amounts[currency] = amount
    return amounts
