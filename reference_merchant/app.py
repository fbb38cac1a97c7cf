"""Wires settings, database, Cryptopay client and routes into a Flask app; nothing happens at import."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Flask

from cryptopay_client import CryptopayClient, RetryPolicy
from reference_merchant.callbacks import CallbackEnvelope
from reference_merchant.channel_callbacks import CREDITED_AMOUNTS, ChannelPaymentProcessor
from reference_merchant.channels import ChannelPayments, Channels
from reference_merchant.db import init_db, make_engine
from reference_merchant.deposits import DepositDesk, Deposits
from reference_merchant.invoice_callbacks import InvoiceProcessor
from reference_merchant.ledger import Ledger
from reference_merchant.payout_callbacks import CoinWithdrawalProcessor
from reference_merchant.payouts import AMOUNT_FIELDS, PayoutDesk, Payouts
from reference_merchant.reconciliation import RECONCILE_SECONDS, PayoutReconciler
from reference_merchant.routes import callbacks_blueprint, health_blueprint, probe_blueprint, register_errors
from reference_merchant.routes_v2 import add_v2_routes


@dataclass
class MerchantConfig:
    database_url: str
    cryptopay_api_url: str
    api_key: str
    api_secret: str = field(repr=False)
    callback_secret: str = field(repr=False)
    probe_token: str = field(repr=False)
    cryptopay_timeout: float = 4.0  # with the bounded database waits, leaves room inside the 10-second limit
    max_body_bytes: int = 1_000_000  # a callback is a few kB; anything far larger is refused before it is read
    # What this merchant declares to Cryptopay's go-live review; the suite's .env states the same two settings.
    channel_credited_amount: str = "net"  # CHANNEL_CREDITED_AMOUNT: net = received_amount, gross = + fee
    payout_amount_field: str = "charged_amount"  # PAYOUT_AMOUNT_FIELD: the field the requested amount is sent in
    # Payouts debited and not final are settled from Cryptopay's GET on start and this often (reconciliation.py).
    reconcile_seconds: float = RECONCILE_SECONDS


def create_app(config: MerchantConfig, envelope_cls: type[CallbackEnvelope] = CallbackEnvelope,
               invoice_processor_cls: type[InvoiceProcessor] = InvoiceProcessor,
               channel_processor_cls: type[ChannelPaymentProcessor] = ChannelPaymentProcessor,
               payout_processor_cls: type[CoinWithdrawalProcessor] = CoinWithdrawalProcessor,
               deposit_desk_cls: type[DepositDesk] = DepositDesk, payout_desk_cls: type[PayoutDesk] = PayoutDesk,
               channels_cls: type[Channels] = Channels, ledger_cls: type[Ledger] = Ledger,
               channel_credited_amount: str | None = None, payout_amount_field: str | None = None) -> Flask:
    """The merchant app; the keyword arguments after `config` swap in a broken variant's part or override the
    declared settings (so a pair can be started with `merchant_kwargs`)."""
    config = replace(config, channel_credited_amount=channel_credited_amount or config.channel_credited_amount,
                     payout_amount_field=payout_amount_field or config.payout_amount_field)
    _check(config)
    engine = make_engine(config.database_url)
    init_db(engine)
    # No 429 retries here: a callback must be answered inside Cryptopay's 10 seconds, so a refused confirmation
    # answers 503 at once and Cryptopay's own retry comes back later.
    cryptopay = CryptopayClient(config.cryptopay_api_url, config.api_key, config.api_secret,
                                timeout=config.cryptopay_timeout, retry=RetryPolicy.never())
    ledger = ledger_cls(engine)
    # The three products side by side: the records, the desk a customer's request goes to, the callback handler.
    deposits, payments, payouts = Deposits(engine), ChannelPayments(engine), Payouts(engine)
    channels = channels_cls(engine, cryptopay)
    deposit_desk = deposit_desk_cls(deposits, cryptopay)
    payout_desk = payout_desk_cls(payouts, ledger, cryptopay, config.payout_amount_field)
    invoices = invoice_processor_cls(deposits, ledger, cryptopay)
    channel_payments = channel_processor_cls(channels, payments, ledger, config.channel_credited_amount)
    coin_withdrawals = payout_processor_cls(payouts, ledger, cryptopay)
    envelope = envelope_cls(engine, config.callback_secret, {
        "Invoice": invoices, "ChannelPayment": channel_payments, "CoinWithdrawal": coin_withdrawals})
    app = Flask("reference_merchant")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.register_blueprint(health_blueprint(engine))
    app.register_blueprint(callbacks_blueprint(envelope))
    probe = probe_blueprint(config.probe_token, envelope, deposits, deposit_desk, ledger)
    add_v2_routes(probe, channels, payments, payout_desk, payouts, ledger)
    app.register_blueprint(probe)
    register_errors(app)
    # Started by whoever runs the app as a long-lived server (python -m reference_merchant): it calls Cryptopay.
    reconciler = PayoutReconciler(payouts, ledger, coin_withdrawals, every=config.reconcile_seconds)
    app.extensions["merchant"] = {"engine": engine, "callbacks": envelope, "invoices": invoices,
                                  "channel_payments": channel_payments, "coin_withdrawals": coin_withdrawals,
                                  "ledger": ledger, "deposit_desk": deposit_desk, "payout_desk": payout_desk,
                                  "channels": channels, "reconciler": reconciler}
    return app


def _check(config: MerchantConfig) -> None:
    """An empty secret would make every signature or token check pass or fail silently; refuse to start."""
    empty = [name for name in ("database_url", "cryptopay_api_url", "api_key", "api_secret", "callback_secret",
                               "probe_token") if not str(getattr(config, name) or "").strip()]
    if empty:
        raise ValueError("MerchantConfig: these settings must not be empty: " + ", ".join(empty))
    if config.channel_credited_amount not in CREDITED_AMOUNTS:
        raise ValueError(f"MerchantConfig: channel_credited_amount must be one of {', '.join(CREDITED_AMOUNTS)}")
    if config.payout_amount_field not in AMOUNT_FIELDS:
        raise ValueError(f"MerchantConfig: payout_amount_field must be one of {', '.join(AMOUNT_FIELDS)}")
