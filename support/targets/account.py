"""What a run records of the Cryptopay it certifies against: the account's id, the API key's id, Cryptopay's clock."""
from __future__ import annotations

from typing import Any

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from reporting.inert import printable
from support.drivers.cryptopay import server_date


def account_identity(api_url: str, api_key: str, api_secret: str) -> dict[str, Any]:
    """The account as GET /api/accounts names it: every currency account carries its project_id, the account's
    own id (docs/cryptopay-channels-payouts-facts.md §18). The API key's id is the public half of the key pair,
    never its secret. What cannot be read is said, not guessed: the run goes on either way."""
    identity: dict[str, Any] = {"id": None, "api_key_id": api_key}
    try:
        accounts = CryptopayClient(api_url, api_key, api_secret, timeout=10).accounts()
    except (CryptopayError, TransportError) as exc:
        return {**identity, "unreadable": printable(f"GET /api/accounts: {exc}")[:300]}
    projects = sorted({str(a["project_id"]) for a in accounts if isinstance(a, dict) and a.get("project_id")})
    if len(projects) != 1:
        return {**identity, "unreadable": f"GET /api/accounts named {len(projects)} project ids, expected one"}
    return {**identity, "id": projects[0], "currency_accounts": len(accounts)}


def cryptopay_now(api_url: str) -> str | None:
    """Cryptopay's clock (its Date header), to the second, or None: the run's window as Cryptopay counts it, so
    an object's created_at is compared with Cryptopay's time, not with this machine's."""
    try:
        return server_date(api_url).isoformat(timespec="seconds")
    except Exception:  # noqa: BLE001 - a missing clock reading leaves the window to the suite's own clock
        return None
