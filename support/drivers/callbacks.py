"""Posts callbacks to the merchant the way Cryptopay does: exact bytes, signed (or deliberately not) with the secret."""
from __future__ import annotations

import json
import threading
from decimal import Decimal
from concurrent.futures import ThreadPoolExecutor

import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from support.secrets import Secret


def callback_body(event: str, invoice: dict) -> bytes:
    """A callback body as Cryptopay renders it. Money is already strings; only risk scores are JSON numbers,
    which the client read as Decimal, so they go back out as numbers."""
    return json.dumps({"type": "Invoice", "event": event, "data": invoice}, separators=(",", ":"),
                      default=_number).encode()


def _number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # risk score only: money never reaches here, it is a string in every payload
    raise TypeError(f"cannot serialise {type(value).__name__}")


def completed_callback_body(invoice: dict) -> bytes:
    """The `status_changed` callback Cryptopay sends for this invoice state (used where no captured copy exists)."""
    return callback_body("status_changed", invoice)


class CallbackSender:
    def __init__(self, callback_url: str, secret: Secret, timeout: float = 15.0):
        self.callback_url = callback_url
        self._secret = secret
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CallbackSender(callback_url={self.callback_url!r}, secret=***)"

    def sign(self, body: bytes) -> str:
        return callback_signature(self._secret.reveal(), body)

    def post(self, body: bytes, signature: str | None) -> int:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return requests.post(self.callback_url, data=body, headers=headers, timeout=self._timeout).status_code

    def post_signed(self, body: bytes) -> int:
        return self.post(body, self.sign(body))

    def post_signed_concurrently(self, body: bytes, times: int) -> list[int]:
        """All copies are released together by a barrier, so they really overlap at the merchant."""
        barrier = threading.Barrier(times)
        signature = self.sign(body)

        def one(_: int) -> int:
            with requests.Session() as session:
                barrier.wait(timeout=30)
                return session.post(self.callback_url, data=body, timeout=self._timeout,
                                    headers={"Content-Type": "application/json",
                                             SIGNATURE_HEADER: signature}).status_code

        with ThreadPoolExecutor(max_workers=times) as pool:
            return list(pool.map(one, range(times)))
