"""Pure functions that build and sign Cryptopay's HMAC string-to-sign, and the requests auth that attaches it."""
from __future__ import annotations

import base64
import hashlib
import hmac
from email.utils import formatdate
from urllib.parse import urlsplit

import requests

CONTENT_TYPE = "application/json"


def body_md5(body: bytes | None) -> str:
    # Cryptopay signs an empty line, not md5(""), when there is no body.
    return hashlib.md5(body).hexdigest() if body else ""


def string_to_sign(method: str, body: bytes | None, date: str, path: str, content_type: str = CONTENT_TYPE) -> str:
    return "\n".join([method.upper(), body_md5(body), content_type, date, path])


def sign(secret: str, method: str, body: bytes | None, date: str, path: str) -> str:
    digest = hmac.new(secret.encode(), string_to_sign(method, body, date, path).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def http_date() -> str:
    return formatdate(usegmt=True)


class HmacAuth(requests.auth.AuthBase):
    """Signs the exact bytes requests will send, so the MD5 always matches the wire."""

    def __init__(self, api_key: str, api_secret: str):
        self._key = api_key
        self._secret = api_secret

    def __repr__(self) -> str:
        return "HmacAuth(api_key=***, api_secret=***)"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        date = request.headers.get("Date") or http_date()
        request.headers["Date"] = date
        request.headers["Content-Type"] = CONTENT_TYPE
        signature = sign(self._secret, request.method, body, date, path)
        request.headers["Authorization"] = f"HMAC {self._key}:{signature}"
        return request
