"""Posts callbacks to the merchant the way Cryptopay does: exact bytes, signed (or deliberately not) with the secret."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from cryptopay_client.http import AnswerTooBig, AnswerTooSlow, GuardedSession, RefusedAnswer
from cryptopay_client.rails_json import rails_json
from support.targets.secrets import Secret


def callback_body(event: str, invoice: dict, indent: int | None = None) -> bytes:
    """A callback body as Cryptopay renders it (its Rails encoder: see cryptopay_client.rails_json), so a
    merchant that verifies anything but the exact raw bytes fails here as it would in production."""
    return rails_json({"type": "Invoice", "event": event, "data": invoice}, indent=indent)


def completed_callback_body(invoice: dict) -> bytes:
    """The `status_changed` callback Cryptopay sends for this invoice state (used where no captured copy exists)."""
    return callback_body("status_changed", invoice)


# What the merchant's callback endpoint answered: an HTTP status, or why there was none (no answer in time,
# connection failed). Kept printable and JSON-friendly: it goes straight into the evidence.
Answer = int | str
# Only the status is judged; an answer larger than this is a broken endpoint, not one to read to its end.
CALLBACK_ANSWER_BYTES = 1024 * 1024


class CallbackSender:
    def __init__(self, callback_url: str, secret: Secret, timeout: float = 15.0):
        self.callback_url = callback_url
        self._secret = secret
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"CallbackSender(callback_url={self.callback_url!r}, secret=***)"

    def sign(self, body: bytes) -> str:
        return callback_signature(self._secret.reveal(), body)

    def post(self, body: bytes, signature: str | None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        with self._session() as session:
            return self._send(session, body, headers)

    def post_signed(self, body: bytes) -> Answer:
        return self.post(body, self.sign(body))

    def _session(self) -> GuardedSession:
        # Redirects are answers, never followed: a 3xx means the URL does not reach the handler, and following it
        # would send the body elsewhere. Each answer is bounded whole in time and size, like every other read.
        return GuardedSession("MERCHANT_CALLBACK_URL", seconds=self._timeout, max_bytes=CALLBACK_ANSWER_BYTES,
                              redirects_are_answers=True)

    def _send(self, session: GuardedSession, body: bytes, headers: dict) -> Answer:
        # Transport failures become answers the steps can explain.
        try:
            return session.post(self.callback_url, data=body, headers=headers).status_code
        except (requests.Timeout, AnswerTooSlow):
            return f"no answer within {self._timeout:g} s"
        except AnswerTooBig:
            return f"an answer of more than {CALLBACK_ANSWER_BYTES:,} bytes"
        except (requests.RequestException, RefusedAnswer) as exc:
            return f"connection failed ({type(exc).__name__})"

    def post_signed_concurrently(self, body: bytes, times: int) -> list[Answer]:
        """All copies are released together by a barrier, so they really overlap at the merchant."""
        barrier = threading.Barrier(times)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: self.sign(body)}

        def one(_: int) -> Answer:
            with self._session() as session:
                barrier.wait(timeout=30)
                return self._send(session, body, headers)

        with ThreadPoolExecutor(max_workers=times) as pool:
            return list(pool.map(one, range(times)))
