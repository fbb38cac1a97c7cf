"""Wires settings, database, Cryptopay client and routes into a Flask app; nothing happens at import."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from cryptopay_client import CryptopayClient, RetryPolicy
from reference_merchant.callbacks import CallbackProcessor
from reference_merchant.db import init_db, make_engine
from reference_merchant.ledger import Ledger
from reference_merchant.routes import callbacks_blueprint, probe_blueprint, register_errors


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


def create_app(config: MerchantConfig, processor_cls: type[CallbackProcessor] = CallbackProcessor,
               ledger_cls: type[Ledger] = Ledger) -> Flask:
    _check(config)
    engine = make_engine(config.database_url)
    init_db(engine)
    # No 429 retries here: a callback must be answered inside Cryptopay's 10 seconds, so a refused confirmation
    # answers 503 at once and Cryptopay's own retry comes back later.
    cryptopay = CryptopayClient(config.cryptopay_api_url, config.api_key, config.api_secret,
                                timeout=config.cryptopay_timeout, retry=RetryPolicy.never())
    ledger = ledger_cls(engine)
    processor = processor_cls(engine, cryptopay, config.callback_secret, ledger)
    app = Flask("reference_merchant")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.register_blueprint(callbacks_blueprint(processor))
    app.register_blueprint(probe_blueprint(config.probe_token, processor, ledger))
    register_errors(app)
    app.extensions["merchant"] = {"engine": engine, "processor": processor, "ledger": ledger}
    return app


def _check(config: MerchantConfig) -> None:
    """An empty secret would make every signature or token check pass or fail silently; refuse to start."""
    empty = [name for name in ("database_url", "cryptopay_api_url", "api_key", "api_secret", "callback_secret",
                               "probe_token") if not str(getattr(config, name) or "").strip()]
    if empty:
        raise ValueError("MerchantConfig: these settings must not be empty: " + ", ".join(empty))
