"""Hand-made invoice results for the verdicts (READY, NOT READY, PARTIAL, NOT PROVEN): screenshots and first-screen
tests."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from checklists import all_items
from reporting.run_info import SANDBOX_URL, write_run_info

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
# Worded as support/evidence/diagnosis/ words them: the category and the item the failure fails first.
_WHY = ("Why (product defect, invoices item 12): the merchant credited the requested 100.00 EUR instead of the final "
        "price 50.05 EUR. Fix: credit price_amount of the completed invoice (it changes on recalculation).")
_OUTAGE = ("Why (environment): the merchant did not answer (its probe refused the connection or timed out): an outage, "
           "not a verdict on its integration. Fix: bring the merchant's staging back up (MERCHANT_PROBE_URL, "
           "MERCHANT_CALLBACK_URL) and run again.")


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
    """verdict: "ready", "not ready", "partial" or "not proven"; one scenario per item, plus the defect, the gap or
    the outage."""
    results.mkdir(parents=True, exist_ok=True)
    for item in all_items("invoices"):
        _result(results, f"Scenario proving item {item.number}", "passed", [item.number])
    if verdict == "not ready":
        _result(results, "An underpaid deposit recalculated at the current rate credits the new lower price",
                "failed", [1, 12], f"support.drivers.waiting.WaitTimeout: {_WHY}\nSeen: waited 8 s for the customer to "
                "have 50.05 EUR; last seen: 100.00 EUR")
    elif verdict == "not proven":
        _result(results, "Every notification of a paid deposit is acknowledged and followed", "failed", [10, 11],
                f"support.drivers.merchant.MerchantError: {_OUTAGE}\nSeen: merchant probe unreachable at "
                "https://staging.example.invalid/probe (ConnectionError)")
    elif verdict == "partial":
        _result(results, "A payment from a high-risk source is held and not credited", "skipped", [14],
                "Skipped: needs the emulator's control API (forced risk level); run it as a rehearsal and merge")
    write_run_info(results, SANDBOX_RUN)
    return results
