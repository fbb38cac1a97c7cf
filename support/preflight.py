"""Checks, before any scenario, that the targets answer and accept the configured credentials."""
from __future__ import annotations

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from support.drivers.merchant import MerchantAdapter, MerchantError
from support.targets import Targets


def preflight_problems(targets: Targets, merchant: MerchantAdapter) -> list[str]:
    problems = []
    client = CryptopayClient(targets.api_url, targets.api_key, targets.api_secret.reveal(), timeout=10)
    try:
        client.list_invoices(customer_id="go-live-preflight")
    except CryptopayError as exc:
        if exc.status == 401:
            problems.append(f"Cryptopay at {targets.api_url} rejected CRYPTOPAY_API_KEY / CRYPTOPAY_API_SECRET "
                            f"(401 {exc.code}, request_id={exc.request_id}); check the key pair and the clock")
        else:
            problems.append(f"Cryptopay at {targets.api_url} answered {exc.status} {exc.code} to a test request")
    except TransportError:
        problems.append(f"Cryptopay API unreachable at {targets.api_url} (CRYPTOPAY_API_URL)")
    try:
        merchant.balances("go-live-preflight")
    except MerchantError as exc:
        reason = "rejected MERCHANT_PROBE_TOKEN" if "401" in str(exc) else str(exc)
        problems.append(f"merchant at {targets.probe_url or targets.merchant_label}: {reason}")
    except Exception as exc:  # e.g. the SQL adapter's database refusing the connection
        problems.append(f"merchant ({targets.merchant_label}) could not be read: {type(exc).__name__}")
    return problems
