"""run-info.json: what the pytest side knows about a run (targets, versions, timing), read tolerantly."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILENAME = "run-info.json"

# The keys the report shows, in display order; any may be missing (an interrupted run, an older suite).
KEYS: dict[str, str] = {
    "target_class": "Target class",
    "merchant_build": "Merchant build",
    "cryptopay_target": "Cryptopay target",
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
    "git_commit": "Git commit",
    "python": "Python",
    "pytest_bdd": "pytest-bdd",
    "allure_pytest_bdd": "allure-pytest-bdd",
    "started_at": "Started at",
    "finished_at": "Finished at",
    "workers": "Workers",
    "signed_off_by": "Signed off by",
    "selection": "Scenario selection (-m / -k)",
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
        if key == "declared_unresolved_policy" and isinstance(value, dict) and value:
            # One row per context: Allure's environment panel cuts long values, and the policy is what matters.
            rows += [(f"Policy {context}", display_value(choice)) for context, choice in value.items()]
        else:
            rows.append((label, display_value(value)))
    rows += [(key, display_value(value)) for key, value in info.items() if key not in KEYS]
    return rows
