"""Typed errors for Cryptopay's error envelope {"error": {code, message, details}, "meta": {request_id}}."""
from __future__ import annotations

from typing import Any


class CryptopayError(Exception):
    """A non-2xx answer from the API; carries what a support ticket needs, never credentials."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None,
                 request_id: str | None = None, method: str = "", path: str = ""):
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(f"{method} {path} -> {status} {code}: {message} (request_id={request_id})")

    @classmethod
    def from_response(cls, status: int, payload: Any, method: str, path: str) -> "CryptopayError":
        error = payload.get("error") if isinstance(payload, dict) else None
        meta = payload.get("meta") if isinstance(payload, dict) else None
        if not isinstance(error, dict):
            return cls(status, "unexpected_response", "response without an error envelope", [], None, method, path)
        request_id = meta.get("request_id") if isinstance(meta, dict) else None
        return cls(status, str(error.get("code", "")), str(error.get("message", "")),
                   error.get("details") or [], request_id, method, path)

    def detail_codes(self) -> list[str]:
        return [d.get("code", "") for d in self.details if isinstance(d, dict)]


class TransportError(Exception):
    """The API could not be reached or did not answer in time."""


class RateLimited(CryptopayError):
    """A 429 the client did not (or could no longer) retry; `why` says which."""

    def __init__(self, *args: Any, why: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.why = why
        if why:
            self.args = (f"{self.args[0]}; {why}",)

    @classmethod
    def from_response(cls, status: int, payload: Any, method: str, path: str, why: str = "") -> "RateLimited":
        plain = CryptopayError.from_response(status, payload, method, path)
        return cls(status, plain.code, plain.message, plain.details, plain.request_id, method, path, why=why)
