"""Typed API errors that render Cryptopay's error envelope; routes raise them, one handler renders them."""
from __future__ import annotations

import uuid


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message = "bad request"

    def __init__(self, message: str | None = None, details: list[dict] | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or []

    def envelope(self, request_id: str | None = None) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details},
                "meta": {"request_id": request_id or uuid.uuid4().hex}}


class Unauthenticated(ApiError):
    status, code, message = 401, "unauthenticated", "unauthenticated"

    def __init__(self, reason: str = ""):
        # The reason stays server-side (logs); the wire answer is the same for every cause, like the real API.
        super().__init__()
        self.reason = reason


class NotFound(ApiError):
    status, code, message = 404, "not_found", "not found"


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "method not allowed"


class BadRequest(ApiError):
    status, code, message = 400, "bad_request", "bad request"


class PayloadTooLarge(ApiError):
    # The real code for an oversized body is not documented (docs/cryptopay-api-facts.md §6); the envelope is real.
    status, code, message = 413, "payload_too_large", "request body too large"


class DuplicateCustomId(ApiError):
    status, code, message = 409, "duplicate_custom_id", "duplicate custom id"


class Invalid(ApiError):
    status, code, message = 422, "invalid", "invalid"


class NotRecalculatable(ApiError):
    status, code, message = 422, "invoice_not_recalculatable", "invoice not recalculatable"


class NotRefundable(ApiError):
    status, code, message = 422, "invoice_not_refundable", "invoice not refundable"


class RecalculationExpired(ApiError):
    status, code, message = 422, "recalculation_expired", "recalculation expired"


class WithdrawalExpired(ApiError):
    status, code, message = 422, "coin_withdrawal_expired", "coin withdrawal expired"


class HighRiskAddress(ApiError):
    # Body as documented (docs/cryptopay-channels-payouts-facts.md §17), details empty.
    status, code = 422, "high_risk_address"
    message = ("We were unable to process your request as the address of the recipient may be associated with "
               "resource primarily used for unlawful activities")


class InternalError(ApiError):
    status, code, message = 500, "internal_error", "internal error"


class ServiceUnavailable(ApiError):
    # 503 is documented for maintenance (docs/cryptopay-api-facts.md §6); its code is not (INFERRED).
    status, code, message = 503, "service_unavailable", "service unavailable"


class RateLimited(ApiError):
    status, code, message = 429, "too_many_requests", "too many requests"


def detail(code: str, target: str, message: str, **args: object) -> dict:
    return {"code": code, "target": target, "message": message, "args": args}
