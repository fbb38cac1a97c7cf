"""Builds an emulator from explicit settings: Flask app, backend, deliverer and the scheduler thread (started on demand)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date as format_date

from cryptopay_emulator.auth import Authenticator, RateLimiter
from cryptopay_emulator.backend import Backends
from cryptopay_emulator.clock import Clock, iso
from cryptopay_emulator.delivery import RESPONSE_LIMIT_SECONDS, Deliverer, Endpoint
from cryptopay_emulator.errors import (ApiError, BadRequest, InternalError, MethodNotAllowed, NotFound,
                                       PayloadTooLarge, Unauthenticated)
from cryptopay_emulator.routes_api import api_blueprint, render
from cryptopay_emulator.routes_control import control_blueprint

log = logging.getLogger("cryptopay_emulator")
# Far above any real request (an invoice with 255-character fields and metadata is a few KB).
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class EmulatorConfig:
    api_key: str
    api_secret: str = field(repr=False)
    callback_secret: str = field(repr=False)
    callback_url: str | None = None
    control_enabled: bool = True
    time_scale: float = 1.0
    start_time: datetime | None = None
    rate_limit_per_minute: int = 200
    date_tolerance_seconds: int = 900
    hosted_base_url: str = "http://localhost/hosted"
    unresolved_policy: dict[str, str] = field(default_factory=dict)
    # A merchant slower than this has failed the delivery (the real limit is 10 s; tests use less).
    callback_timeout_seconds: float = RESPONSE_LIMIT_SECONDS
    # Starting crypto/fiat balances, e.g. {"BTC": "10.0"}; None: account.DEFAULT_BALANCES. Restored by reset.
    starting_balances: dict[str, str] | None = None
    # Coin-withdrawal callbacks are opt-in on the real dashboard too.
    coin_withdrawal_callbacks: bool = False
    # Emulated seconds between a withdrawal's steps: pending → processing → sent → completed. In-process the steps
    # fall due at once and happen at the next read or scheduler tick (create still answers `pending`); the
    # standalone server waits 10 s a step, so an invoice sees the payment 20 s later, as the sandbox's 18 s+ lag.
    withdrawal_step_seconds: float = 0.0
    # Bodies longer than this are refused with 413 before a byte is read, so unsigned junk costs no memory.
    max_body_bytes: int = MAX_BODY_BYTES
    # Driven time: objects born while it is on stand still until the control API moves them (POST
    # /_emulator/objects/<id>/advance), like objects on a Stripe test clock; PUT /_emulator/settings switches it.
    driven_time: bool = False


class EmulatorApp:
    """One emulated Cryptopay account. Call start() to run the scheduler (expiry, callbacks, retries)."""

    def __init__(self, config: EmulatorConfig):
        self.config = config
        self.clock = Clock(start=config.start_time, scale=config.time_scale)
        self.backends = Backends(self.clock, self._notify, hosted_base_url=config.hosted_base_url,
                                 balances=config.starting_balances, unresolved_policy=config.unresolved_policy,
                                 withdrawal_step_seconds=config.withdrawal_step_seconds,
                                 # Driven objects wait for the control API to move them: without it, nothing could.
                                 driven_time=config.driven_time and config.control_enabled)
        # One clock rules deliveries, retries and the rate limit: retries wait on the account's timeline.
        self.deliverer = Deliverer(self.clock, Endpoint(config.callback_url, config.callback_secret),
                                   timeout=config.callback_timeout_seconds, scheduler=self.backends.account)
        self.backends.account.timeline.on_shift(self.deliverer.shift)
        self.backends.watch_deliveries(self.deliverer.in_flight, self.deliverer.first_attempts)
        self.limiter = RateLimiter(config.rate_limit_per_minute, monotonic=lambda: self.clock.now().timestamp())
        self.clock.on_change(self.deliverer.wake)
        self.wsgi = self._flask()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what may change after start ----------------------------------------------------------------
    @property
    def callback_url(self) -> str | None:
        return self.deliverer.url

    def set_callback_url(self, url: str | None) -> None:
        """Where callbacks go from now on (the merchant usually starts after the emulator)."""
        self.deliverer.set_url(url)

    def set_public_url(self, base_url: str) -> None:
        """The address clients reach the emulator at, once its server has a port: hosted pages live under it."""
        self.backends.account.hosted_base_url = f"{base_url.rstrip('/')}/hosted"

    def _notify(self, kind: str, event: str, data: dict) -> None:
        if kind == "CoinWithdrawal" and not self.config.coin_withdrawal_callbacks:
            return  # opt-in, as on the real dashboard
        self.deliverer.enqueue_typed(kind, event, data)

    def _flask(self) -> Flask:
        app = Flask("cryptopay_emulator")
        # Werkzeug refuses a longer Content-Length before reading, and stops a chunked body at the limit.
        app.config["MAX_CONTENT_LENGTH"] = self.config.max_body_bytes
        auth = Authenticator(self.config.api_key, self.config.api_secret,
                             tolerance_seconds=self.config.date_tolerance_seconds)
        app.register_blueprint(api_blueprint(self.backends, auth, self.limiter))
        if self.config.control_enabled:
            app.register_blueprint(control_blueprint(self.backends, self.deliverer, self.limiter,
                                                     self.config.coin_withdrawal_callbacks))

        @app.get("/health")
        def health() -> Response:
            # With or without the control API: whoever started the emulator can tell it is up, and whether the
            # control API is there (no secret is needed, none is shown).
            return render({"ok": True, "now": iso(self.clock.now()), "control": self.config.control_enabled})

        @app.after_request
        def server_date(response: Response) -> Response:
            # Cryptopay's "now", as any HTTP server states it; a scaled clock shows through, so a client without the
            # control API can still tell when an invoice has expired.
            response.headers["Date"] = format_date(self.clock.now())
            return response

        @app.errorhandler(ApiError)
        def api_error(error: ApiError) -> Response:
            if isinstance(error, Unauthenticated):
                log.info("401 for %s %s: %s", request.method, request.path, error.reason)
            return render(error.envelope(), error.status)

        @app.errorhandler(HTTPException)
        def http_error(error: HTTPException) -> Response:
            # Unknown routes and wrong methods still answer in the real envelope.
            # A crash is Flask's InternalServerError, an HTTPException too: it must stay a 500, never pass as a 400.
            known = {404: NotFound, 405: MethodNotAllowed, 413: PayloadTooLarge, 500: InternalError}
            err = known.get(error.code or 400, BadRequest)()
            return render(err.envelope(), err.status)

        return app

    def start(self) -> "EmulatorApp":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="emulator-scheduler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.deliverer.wake()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.deliverer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.backends.tick()
                self.deliverer.run_due(wait_for_them=False)  # a slow merchant holds up no tick
            except Exception:  # the scheduler must outlive one bad tick; the error is logged, not hidden
                log.exception("emulator scheduler tick failed")
            # sleep until the next retry or invoice deadline, so a high time scale still expires on time
            deadline = self.backends.next_deadline()
            until_deadline = self.clock.real_seconds_until(deadline) if deadline else 0.25
            self.deliverer.wait_for_work(self.deliverer.next_wait(cap=min(0.25, until_deadline)))


def create_app(config: EmulatorConfig) -> EmulatorApp:
    return EmulatorApp(config)
