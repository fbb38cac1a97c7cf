"""The reference merchant's callback endpoint under hostile input: JSON 4xx, never a 500, nothing changed."""
from __future__ import annotations

from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from tests.merchant.harness import Shop


def _post(shop: Shop, body: bytes, signature: str | bytes | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    answer = shop.http.post(shop.callback_url, data=body, headers=headers, timeout=15)
    return answer.status_code, answer.json()


def test_a_non_ascii_signature_header_is_refused_as_a_bad_signature(shop: Shop) -> None:
    status, body = _post(shop, b'{"type":"Invoice","event":"status_changed","data":{}}', "sig\u00e9".encode())
    assert status == 401 and "signature" in body["outcome"]


def test_an_overlong_signature_header_is_refused_as_a_bad_signature(shop: Shop) -> None:
    status, _ = _post(shop, b"{}", "a" * 10_000)
    assert status == 401


def test_a_signed_body_nested_far_too_deep_is_a_json_400(shop: Shop) -> None:
    depth = 200_000
    body = b'{"type":"Invoice","event":"status_changed","data":' + b"[" * depth + b"]" * depth + b"}"
    status, answer = _post(shop, body, callback_signature(shop.callback_secret, body))
    assert status == 400 and answer["error"]["code"] == "invalid"


def test_a_body_over_the_limit_is_refused_before_it_is_read(shop: Shop) -> None:
    status, answer = _post(shop, b"x" * 2_000_001, None)
    assert status == 413 and "error" in answer
