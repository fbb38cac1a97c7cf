"""Checks, before any scenario, that the targets answer and accept the configured credentials."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from support.domain.callbacks import explain, is_rejection, misses_the_handler
from support.drivers.callbacks import Answer, CallbackSender
from support.drivers.emulator import ControlError, EmulatorControl
from support.drivers.merchant import MerchantAdapter, MerchantError, ProbeMerchant, ProbeNotFound
from support.drivers.waiting import WaitTimeout, wait_until
from support.targets.secrets import Secret
from support.targets.wiring import Targets

PREFLIGHT_CUSTOMER = "go-live-preflight"
# How long the preflight waits for its invoice's first notification to reach the merchant (Cryptopay delivers in
# seconds; WAIT_TIMEOUT_SECONDS, when shorter, bounds it too).
FIRST_DELIVERY_SECONDS = 60.0


def preflight_problems(targets: Targets, merchant: MerchantAdapter) -> list[str]:
    """Every problem found, or [] when the run can start. Once the targets answer and the callback endpoint takes a
    signed notification, where the account delivers Cryptopay's own notifications is checked too (control API)."""
    problems = reach_problems(targets, merchant)
    if problems or not targets.control_url:
        return problems
    return _account_url_problems(EmulatorControl(targets.control_url), targets.callback_url)


def reach_problems(targets: Targets, merchant: MerchantAdapter) -> list[str]:
    problems = []
    client = CryptopayClient(targets.api_url, targets.api_key, targets.api_secret.reveal(), timeout=10)
    try:
        client.list_invoices(customer_id="go-live-preflight")
    except CryptopayError as exc:
        if exc.status == 401:
            problems.append(f"Cryptopay at {targets.api_url} rejected CRYPTOPAY_API_KEY / CRYPTOPAY_API_SECRET "
                            f"(401 {exc.code}, request_id={exc.request_id}); check the key pair and the clock")
        else:
            problems.append(f"Cryptopay at {targets.api_url} answered {exc.status} {exc.code} to a test request")
    except TransportError:
        problems.append(f"Cryptopay API unreachable at {targets.api_url} (CRYPTOPAY_API_URL)")
    try:
        merchant.balances("go-live-preflight")
    except ProbeNotFound as exc:
        problems.append(f"MERCHANT_PROBE_URL: {exc}{_probe_url_guess(targets)}")
    except MerchantError as exc:
        reason = str(exc)  # a ProbeTokenRejected or ProbeContractError names its own cause
        problems.append(f"merchant at {targets.probe_url or targets.merchant_label}: {reason}")
    except Exception as exc:  # e.g. the SQL adapter's database refusing the connection
        problems.append(f"merchant ({targets.merchant_label}) could not be read: {type(exc).__name__}")
    return problems + callback_problems(CallbackSender(targets.callback_url, targets.callback_secret, timeout=10))


def _probe_url_guess(targets: Targets) -> str:
    """The URL with the probe's usual path added, named when the probe answers there: the usual slip is a
    MERCHANT_PROBE_URL without its /probe."""
    guess = targets.probe_url.rstrip("/") + "/probe"
    if targets.probe_url.rstrip("/").endswith("/probe"):
        return ""
    try:
        ProbeMerchant(guess, targets.probe_token, timeout=10).balances(PREFLIGHT_CUSTOMER)
    except (MerchantError, OSError, ValueError):
        return ""
    return f". The probe answers at {guess}: set MERCHANT_PROBE_URL={guess}"


def _account_url_problems(control: EmulatorControl, callback_url: str) -> list[str]:
    try:
        account_url = control.callback_url()
    except (ControlError, OSError, ValueError, KeyError):
        return []  # an older emulator without the setting: the scenarios' diagnosis still tells
    if (account_url or "").rstrip("/") == callback_url.rstrip("/"):
        return []
    where = f"is {account_url}" if account_url else "is not set"
    return [f"the Cryptopay account's Callback URL {where}, but MERCHANT_CALLBACK_URL is {callback_url}: every "
            "notification Cryptopay sends would miss the merchant; set the Callback URL in the Cryptopay dashboard "
            "(Integration → API; the emulator's --callback-url) to MERCHANT_CALLBACK_URL, or MERCHANT_CALLBACK_URL in "
            ".env to the URL the account delivers to"]


def payout_notice_problem(control: EmulatorControl) -> str | None:
    """Payouts are certified by their notifications, which an account switches on (coin-withdrawal callbacks are
    opt-in): an emulator started without them would have every payout scenario blame a correct merchant."""
    try:
        notified = control.settings().get("coin_withdrawal_callbacks")
    except (ControlError, OSError, ValueError):
        return None  # unreadable settings: the preflight has named why, or the scenarios will
    if notified is not False:
        return None  # on, or an older emulator that does not say
    return ("the Cryptopay account sends no payout (CoinWithdrawal) notifications, and payouts are certified by them: "
            "start the emulator with --coin-withdrawal-callbacks (on Cryptopay, the account's coin-withdrawal "
            "callbacks are switched on in its API settings), or leave payouts out of this run (CERTIFY_PRODUCTS, or "
            "-m to select other items)")


def first_delivery_note(targets: Targets, merchant: MerchantAdapter, pay_currency: str,
                        timeout: float = FIRST_DELIVERY_SECONDS) -> str | None:
    """Without the control API (the sandbox): a preflight invoice made through the merchant's checkout, whose first
    notification should show in the merchant's callback log (probe extension). Its silence is a warning, never a
    stop: that Cryptopay notifies an invoice nobody paid ("created") is inferred, not documented (facts, invoice
    events), and a scenario whose completed invoice the log lacks is diagnosed as the Callback URL anyway."""
    if targets.control_url:
        return None
    seconds = min(timeout, FIRST_DELIVERY_SECONDS)
    try:
        deposit = merchant.create_deposit(PREFLIGHT_CUSTOMER, Decimal("10.00"), "EUR", pay_currency,
                                          "go-live preflight: is Cryptopay's Callback URL the merchant's?")
        if merchant.received_callbacks(deposit.invoice_id) is None:
            return None  # no callback log to look at (the probe extension is optional)
        wait_until(lambda: merchant.received_callbacks(deposit.invoice_id), bool, timeout=seconds,
                   expected="the preflight invoice's first notification in the merchant's callback log")
    except WaitTimeout:
        return (f"no notification for the preflight invoice {deposit.invoice_id} reached the merchant within "
                f"{seconds:g} s (its callback log shows none). Cryptopay may not notify "
                "an invoice nobody paid; if the scenarios' invoices complete and the merchant still hears nothing, "
                "the account's Callback URL is not MERCHANT_CALLBACK_URL "
                f"({targets.callback_url}): set it in the Cryptopay dashboard (Integration → API)")
    except MerchantError:
        return None  # the checkout's own failure is the scenarios' to report, with its reason
    return None


def callback_problems(sender: CallbackSender) -> list[str]:
    """Posts a correctly signed 'completed' notification for an invoice the merchant never created (it must be
    acknowledged, 2xx) and one with a wrong signature (it must be refused, 400/401/403). Without this a mistyped
    MERCHANT_CALLBACK_URL answers 404 and every negative scenario "passes" on a route that does not exist."""
    body = unknown_invoice_body(str(uuid.uuid4()))
    signed = sender.post_signed(body)
    problem = _signed_problem(signed, sender.callback_url)
    if problem and misses_the_handler(signed):
        return [problem]  # the second post would only say the same about the URL
    forged = sender.post(body, CallbackSender(sender.callback_url, Secret("go-live-preflight-wrong")).sign(body))
    return [p for p in (problem, _forged_problem(forged, sender.callback_url)) if p]


def _signed_problem(answer: Answer, url: str) -> str | None:
    if isinstance(answer, int) and 200 <= answer < 300:
        return None
    lead = "the merchant's callback endpoint answered a correctly signed notification for an invoice it never created"
    if answer in (401, 403):
        return (f"{lead} with {answer}, a signature refusal: most often the merchant verifies with another Callback "
                f"Secret than this Cryptopay account's (CRYPTOPAY_CALLBACK_SECRET); MERCHANT_CALLBACK_URL is {url}")
    if misses_the_handler(answer):
        return f"{lead} with {explain(answer, url)}"
    return (f"{lead} with {explain(answer, url)}; it must acknowledge (2xx) notifications it ignores, or Cryptopay "
            "keeps retrying them for days")


def _forged_problem(answer: Answer, url: str) -> str | None:
    # A 2xx here is a merchant that skips the signature check: a defect the @security scenarios prove and report
    # under item 10, not a setting to fix, so the run goes on to show it.
    if is_rejection(answer) or (isinstance(answer, int) and 200 <= answer < 300):
        return None
    return (f"the merchant's callback endpoint answered a notification with a wrong signature with "
            f"{explain(answer, url)}; it must refuse it with 400, 401 or 403")


def unknown_invoice_body(invoice_id: str) -> bytes:
    """A 'completed' notification shaped like Cryptopay's, for an invoice nobody created. Compact ASCII JSON on
    purpose: every way of verifying the signature agrees on these bytes, so a refusal here can only be the
    secret or the URL (whether the merchant verifies the exact raw bytes is proven by the scenarios)."""
    invoice = {
        "id": invoice_id, "custom_id": None, "customer_id": None, "status": "completed", "status_context": None,
        "address": "2N1go1ivePreflightUnknownInvoice00", "network": "bitcoin",
        "uri": "bitcoin:2N1go1ivePreflightUnknownInvoice00?amount=0.0001", "price_amount": "10.0",
        "price_currency": "EUR", "pay_amount": "0.0001", "pay_currency": "BTC", "fee": "0.1", "fee_currency": "EUR",
        "paid_amount": "0.0001", "transactions": [], "name": None, "description": "go-live preflight: not a real invoice",
        "metadata": None, "success_redirect_url": None, "unsuccess_redirect_url": None,
        "hosted_page_url": f"https://hosted-business-sandbox.cryptopay.me/invoices/{invoice_id}",
        "created_at": "2021-10-14T10:51:57+00:00", "expires_at": "2021-10-14T11:01:57+00:00"}
    return json.dumps({"type": "Invoice", "event": "status_changed", "data": invoice}, separators=(",", ":")).encode()
