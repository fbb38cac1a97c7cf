"""Hand-made invoice results for the three verdicts (READY, NOT READY, PARTIAL): screenshots and first-screen tests."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from reporting.run_info import SANDBOX_URL, write_run_info
from support.checklists import all_items

# A merchant that integrates invoices only: the other two products show as not integrated.
SANDBOX_RUN = {"cryptopay_api_url": SANDBOX_URL, "cryptopay_target": f"Cryptopay sandbox ({SANDBOX_URL})",
               "cryptopay_account": {"id": "5a3c1b0e-0000-4000-8000-00000000a11c", "api_key_id": "sampleKey1d"},
               "cryptopay_clock": {"started_at": "2026-05-04T09:00:01+00:00",
                                   "finished_at": "2026-05-04T09:14:40+00:00"},
               "started_at": "2026-05-04T09:00:00+00:00", "finished_at": "2026-05-04T09:14:41+00:00",
               "git_commit": "63cbd8500000000000000000000000000000abcd", "suite_local_changes": False,
               "merchant_build": "sample-1.0", "merchant_target": "https://staging.example.invalid/probe",
               "products": ["invoices"], "not_integrated": {"channels": "not integrated (CERTIFY_PRODUCTS)",
                                                            "payouts": "not integrated (CERTIFY_PRODUCTS)"}}
_WHY = ("Why: the merchant credited the requested 100.00 EUR, but the completed invoice's final price is 50.05 EUR. "
        "Fix: credit price_amount of the completed invoice (it changes on recalculation).")


def _result(results: Path, name: str, status: str, items: list[int], message: str = "") -> None:
    tags = ["invoices", *(f"invoices_{n}" for n in items)]
    data = {"uuid": str(uuid.uuid4()), "name": name, "fullName": f"sample: {name}", "historyId": f"sample-{name}",
            "status": status, "start": 1_000, "stop": 2_000,
            "labels": [{"name": "feature", "value": "Sample feature"}, *({"name": "tag", "value": t} for t in tags)],
            "steps": [{"name": "Given a new customer", "status": "passed"},
                      {"name": "Then the customer's balance shows the deposit's final price",
                       "status": status if status != "skipped" else "skipped"}]}
    if message:
        data["statusDetails"] = {"message": message}
    (results / f"{data['uuid']}-result.json").write_text(json.dumps(data), encoding="utf-8")


def write_sample(results: Path, verdict: str) -> Path:
    """verdict: "ready", "not ready" or "partial"; one scenario per item, plus the defect or the gap."""
    results.mkdir(parents=True, exist_ok=True)
    for item in all_items("invoices"):
        _result(results, f"Scenario proving item {item.number}", "passed", [item.number])
    if verdict == "not ready":
        _result(results, "An underpaid deposit recalculated at the current rate credits the new lower price",
                "failed", [1, 12], f"support.waiting.WaitTimeout: {_WHY}\nSeen: waited 8 s for the customer to "
                "have 50.05 EUR; last seen: 100.00 EUR")
    elif verdict == "partial":
        _result(results, "A payment from a high-risk source is held and not credited", "skipped", [14],
                "Skipped: needs the emulator's control API (forced risk level); run it as a rehearsal and merge")
    write_run_info(results, SANDBOX_RUN)
    return results
