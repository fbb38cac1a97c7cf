"""Cryptopay merchant API client: HMAC request signing, endpoints, callback verification, typed errors."""
from cryptopay_client.callbacks import callback_signature, verify_callback
from cryptopay_client.client import CryptopayClient, Exchange
from cryptopay_client.budget import RequestBudget, SharedBudget, Unlimited
from cryptopay_client.errors import CryptopayError, RateLimited, TransportError
from cryptopay_client.retry import RetryPolicy
from cryptopay_client.signing import HmacAuth, string_to_sign, sign

__all__ = [
    "CryptopayClient", "Exchange", "CryptopayError", "RateLimited", "TransportError", "HmacAuth",
    "RequestBudget", "SharedBudget", "Unlimited", "RetryPolicy",
    "string_to_sign", "sign", "callback_signature", "verify_callback",
]
