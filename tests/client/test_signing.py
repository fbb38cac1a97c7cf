"""Known-answer vectors for both Cryptopay signatures, the client's signing of what it really sends, and how it writes
amounts."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import requests

from cryptopay_client import callback_signature, sign, string_to_sign, verify_callback
from cryptopay_client.client import decimal_text, dumps
from cryptopay_client.signing import HmacAuth

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CALLBACK_SECRET = "hzeRDX54BYleXGwGm2YEWR4Ony1_ZU2lSTpAuxhW1gQ"
CALLBACK_SIGNATURE = "7c021857107203da4af1d24007bb0f752e2f04478e5e5bff83719101f2349b54"


def test_request_signature_matches_the_documented_vector() -> None:
    signature = sign("Oe8TBDzg4tatdq2cL9ojeEj3U3oWSCSC5fqOHAqaKVg", "POST", b'{"amount":"100"}',
                     "2019-01-09T11:24:40+00:00", "/api/auth/test")
    assert signature == "fVYzUdYqZO1ozBeP3KQHFp9/Kno="


def test_string_to_sign_has_md5_of_body_and_an_empty_line_without_body() -> None:
    with_body = string_to_sign("post", b'{"amount":"100"}', "D", "/api/x?a=1")
    assert with_body == "POST\n5173e4d02d8a761679b0165b87d9ee5f\napplication/json\nD\n/api/x?a=1"
    assert string_to_sign("GET", None, "D", "/api/x") == "GET\n\napplication/json\nD\n/api/x"
    assert string_to_sign("GET", b"", "D", "/api/x") == "GET\n\napplication/json\nD\n/api/x"


def test_auth_signs_the_exact_bytes_and_the_query() -> None:
    prepared = requests.Request("GET", "http://h/api/invoices", params={"customer_id": "a b"}).prepare()
    prepared.headers["Date"] = "Thu, 14 Oct 2021 11:30:34 GMT"
    HmacAuth("KEY", "SECRET")(prepared)
    expected = sign("SECRET", "GET", None, "Thu, 14 Oct 2021 11:30:34 GMT", "/api/invoices?customer_id=a+b")
    assert prepared.headers["Authorization"] == f"HMAC KEY:{expected}"
    assert "SECRET" not in repr(HmacAuth("KEY", "SECRET"))


def test_callback_signature_matches_the_documented_vector() -> None:
    body = (VECTORS / "callback_xrp_status_changed.json").read_bytes()
    assert callback_signature(CALLBACK_SECRET, body) == CALLBACK_SIGNATURE
    assert verify_callback(CALLBACK_SECRET, body, CALLBACK_SIGNATURE)
    assert verify_callback(CALLBACK_SECRET, body, CALLBACK_SIGNATURE.upper())


def test_callback_verification_rejects_tampering_wrong_secret_and_missing_header() -> None:
    body = (VECTORS / "callback_xrp_status_changed.json").read_bytes()
    tampered = body.replace(b'"1.0"', b'"2.0"')
    assert not verify_callback(CALLBACK_SECRET, tampered, CALLBACK_SIGNATURE)
    assert not verify_callback("another-secret", body, CALLBACK_SIGNATURE)
    assert not verify_callback(CALLBACK_SECRET, body, None)
    assert not verify_callback(CALLBACK_SECRET, body, "")
    assert not verify_callback(CALLBACK_SECRET, b'{"wrong":"wrong"}', CALLBACK_SIGNATURE)


def test_amounts_go_out_as_plain_digits_never_an_exponent() -> None:
    assert str(Decimal("0.0000001")) == "1E-7"  # what str() would have sent, and Cryptopay refuses
    assert decimal_text(Decimal("0.0000001")) == "0.0000001"
    assert decimal_text(Decimal("20.00")) == "20.00" and decimal_text(Decimal("1E+2")) == "100"
    assert dumps({"amount": Decimal("5E-8")}) == '{"amount":"0.00000005"}'
