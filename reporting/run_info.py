"""run-info.json: what the pytest side knows about a run (targets, versions, timing), read tolerantly; where the run
was (decided from the API URL it talked to, never from a label) and who, what and when, for every reader."""
from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FILENAME = "run-info.json"
SANDBOX_HOST = "business-sandbox.cryptopay.me"
# Read at each call, not bound as a default: a test makes a loopback emulator pose as the sandbox by setting it.
SANDBOX_URL = f"https://{SANDBOX_HOST}"
SANDBOX, MERGED = "sandbox", "sandbox + emulator rehearsal"
STANDALONE, EMBEDDED, NON_SANDBOX = "standalone emulator", "embedded emulator", "non-sandbox host"

# The keys the report shows, in display order; any may be missing (an interrupted run, an older suite).
KEYS: dict[str, str] = {
    "target_class": "Target class (from the API URL)",
    "merchant_build": "Merchant build",
    "cryptopay_target": "Cryptopay target",
    "cryptopay_api_url": "Cryptopay API URL",
    "cryptopay_account": "Cryptopay account",
    "cryptopay_clock": "Cryptopay's clock at start and end",
    "merchant_target": "Merchant target",
    "emulator_control": "Emulator control",
    "payer": "Payer",
    "payment_coin": "Paid in (coin)",
    "requests_per_minute": "API key limit (requests/min)",
    "declared_unresolved_policy": "Declared unresolved policy",
    "products": "Products chosen (CERTIFY_PRODUCTS)",
    "not_integrated": "Not integrated",
    "declared_channel_credited_amount": "Channels: credited amount (declared)",
    "declared_payout_amount_field": "Payouts: amount field (declared)",
    "git_commit": "Suite version (git commit)",
    "suite_local_changes": "Suite changed locally",
    "python": "Python",
    "pytest_bdd": "pytest-bdd",
    "allure_pytest_bdd": "allure-pytest-bdd",
    "started_at": "Started at",
    "finished_at": "Finished at",
    "workers": "Workers",
    "signed_off_by": "Signed off by",
    "selection": "Scenario selection (-m / -k / --lf)",
}


def write_run_info(results_dir: Path, info: dict[str, Any]) -> Path:
    """Writes the run's facts beside the Allure results; values that are not JSON become strings."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / FILENAME
    path.write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return path


def read_run_info(results_dir: Path) -> dict[str, Any]:
    """The run's facts, or {} when the file is missing or unreadable: the report is still worth building."""
    try:
        data = json.loads((Path(results_dir) / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def display_value(value: Any) -> str:
    """One line per value: a policy dict reads as 'underpaid=refund, overpaid=do_nothing'."""
    if value is None or value == "":
        return "not recorded"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def display_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for every known key, then any extra keys the suite added, so nothing is hidden."""
    rows = []
    for key, label in KEYS.items():
        value = info.get(key)
        if key == "target_class":
            value = observed_class(info)  # what the run talked to, not what the file says
        if key == "declared_unresolved_policy" and isinstance(value, dict) and value:
            # One row per context: Allure's environment panel cuts long values, and the policy is what matters.
            rows += [(f"Policy {context}", display_value(choice)) for context, choice in value.items()]
        else:
            rows.append((label, display_value(value)))
    rows += [(key, display_value(value)) for key, value in info.items() if key not in KEYS]
    return rows


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_url(info: dict[str, Any]) -> str | None:
    """The Cryptopay API URL the run talked to; a run recorded before it was kept named it in cryptopay_target."""
    url = info.get("cryptopay_api_url")
    if isinstance(url, str) and url:
        return url
    found = re.search(r"\((https?://[^\s)]+)\)", str(info.get("cryptopay_target") or ""))
    return found.group(1) if found else None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def observed_class(info: dict[str, Any]) -> str:
    """Where the run was, from the URL it sent its requests to: the sandbox only at the sandbox's own origin, an
    emulator on loopback or embedded; "" when the run recorded neither. A label in the file (target_class) counts
    for nothing: editing it must not make a rehearsal a certification. Whether the sandbox run is real is then
    checked at Cryptopay (reporting/verify.py); a merged run is a sandbox run plus its rehearsal."""
    url = api_url(info)
    if url is None:
        return EMBEDDED if info.get("cryptopay_target") == "embedded emulator" else ""
    if _origin(url) == _origin(SANDBOX_URL):
        return MERGED if info.get("merged_from") else SANDBOX
    return STANDALONE if is_loopback(_origin(url)[1]) else NON_SANDBOX


def api_host(info: dict[str, Any]) -> str:
    url = api_url(info)
    if url is None:
        return "the embedded emulator" if observed_class(info) == EMBEDDED else ""
    return urlsplit(url).netloc


def identity(info: dict[str, Any]) -> dict[str, Any]:
    """Who, what and when: the Cryptopay account and the key's id (never a secret), the API host, the merchant
    build, the suite's own version, the run's start and end in UTC (and on Cryptopay's clock)."""
    account = info.get("cryptopay_account") if isinstance(info.get("cryptopay_account"), dict) else {}
    clock = info.get("cryptopay_clock") if isinstance(info.get("cryptopay_clock"), dict) else {}
    return {
        "cryptopay_account_id": account.get("id"), "api_key_id": account.get("api_key_id"),
        "account_not_read": account.get("unreadable"), "api_host": api_host(info),
        "target_class": observed_class(info), "merchant_build": info.get("merchant_build"),
        "suite_version": info.get("git_commit") or "unknown", "suite_local_changes": info.get("suite_local_changes"),
        "started_at": info.get("started_at"), "finished_at": info.get("finished_at"),
        "cryptopay_started_at": clock.get("started_at"), "cryptopay_finished_at": clock.get("finished_at"),
    }


def _utc(moment: Any) -> str:
    """"2026-05-01 10:00:00" from an ISO time in UTC; what is not one is shown as it is."""
    text = str(moment or "")
    return text.replace("T", " ").removesuffix("+00:00").removesuffix("Z") if text else ""


def run_window_words(facts: dict[str, Any]) -> str:
    """"2026-05-04 09:00:00 to 09:14:41" (the end's date only when it differs)."""
    start, end = _utc(facts.get("started_at")), _utc(facts.get("finished_at"))
    if not start or not end:
        return f"{start or 'start not recorded'} to {end or 'end not recorded'}"
    return f"{start} to {end[11:] if end[:10] == start[:10] else end}"


def identity_rows(facts: dict[str, Any], short: bool = False) -> list[tuple[str, str]]:
    """(label, words) for the banner and the summary, in the order a reviewer checks them; `short` (the banner, on
    one line): the suite's commit as git abbreviates it."""
    account = facts.get("cryptopay_account_id")
    if account:
        account_words = f"{account} (API key {facts.get('api_key_id') or 'not recorded'})"
    elif facts.get("target_class") == EMBEDDED:
        account_words = "none: the embedded emulator, nothing at Cryptopay"
    else:
        account_words = "not read" + (f": {facts['account_not_read']}" if facts.get("account_not_read") else "") + \
            (f" (API key {facts['api_key_id']})" if facts.get("api_key_id") else "")
    suite = str(facts.get("suite_version") or "unknown")[:12 if short else None]
    suite += " with local changes" if facts.get("suite_local_changes") else ""
    return [("Cryptopay account", account_words), ("API host", facts.get("api_host") or "not recorded"),
            ("Merchant build", facts.get("merchant_build") or "not named"), ("Suite", suite),
            ("Run (UTC)", run_window_words(facts))]
