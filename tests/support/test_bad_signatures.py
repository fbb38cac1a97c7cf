"""The four bad ways a notification is posted (forged, tampered, unsigned, misdirected), shared by invoices,
channels and payouts: what reaches a real endpoint, and that none of them verifies against the callback secret."""
from __future__ import annotations

import json
from typing import Iterator

import pytest

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature, verify_callback
from support.domain.callbacks import KINDS, send_badly_signed
from support.drivers.callbacks import CallbackSender
from support.targets.secrets import Secret
from support.targets.servers import ServerThread

SECRET = "the-callback-secret"
BODY = b'{"type":"CoinWithdrawal","event":"status_changed","data":{"charged_amount": "10.0","status":"cancelled"}}'
EARLIER = b'{"type":"CoinWithdrawal","event":"created","data":{"charged_amount": "10.0","status":"pending"}}'


class Recorder:
    """A callback endpoint that keeps each body and signature header it was sent, and answers 401."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str | None]] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.received.append((body, environ.get("HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"))))
        start_response("401 Unauthorized", [])
        return [b"{}"]


@pytest.fixture
def endpoint() -> Iterator[tuple[Recorder, CallbackSender]]:
    app = Recorder()
    server = ServerThread(app, "recording-callback-endpoint").start()
    yield app, CallbackSender(f"{server.url}/callbacks", Secret(SECRET), timeout=5)
    server.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_no_bad_kind_verifies_with_the_callback_secret(kind: str, endpoint: tuple[Recorder, CallbackSender]) -> None:
    recorder, sender = endpoint
    assert send_badly_signed(kind, BODY, "charged_amount", EARLIER, sender) == 401
    [(body, signature)] = recorder.received
    assert not verify_callback(SECRET, body, signature)


def test_each_kind_is_bad_in_its_own_way(endpoint: tuple[Recorder, CallbackSender]) -> None:
    recorder, sender = endpoint
    for kind in KINDS:
        send_badly_signed(kind, BODY, "charged_amount", EARLIER, sender)
    forged, tampered, unsigned, misdirected = recorder.received
    assert forged == (BODY, callback_signature("not-the-callback-secret", BODY))
    assert tampered[1] == callback_signature(SECRET, BODY)  # Cryptopay's genuine signature of the untouched body
    assert json.loads(tampered[0])["data"]["charged_amount"] == "910.0"
    assert unsigned == (BODY, None)
    assert misdirected == (BODY, callback_signature(SECRET, EARLIER))


def test_tampering_with_a_field_the_body_lacks_is_refused_and_sends_nothing(
        endpoint: tuple[Recorder, CallbackSender]) -> None:
    recorder, sender = endpoint
    with pytest.raises(AssertionError, match="no received_amount to change"):
        send_badly_signed("tampered", BODY, "received_amount", EARLIER, sender)
    with pytest.raises(AssertionError, match="another body"):
        send_badly_signed("misdirected", BODY, "charged_amount", BODY, sender)
    with pytest.raises(ValueError, match="unknown kind"):
        send_badly_signed("polite", BODY, "charged_amount", EARLIER, sender)
    assert recorder.received == []
