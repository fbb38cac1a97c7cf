"""The go-live summary: the verdict first, then each of the 14 checklist items and the scenarios behind it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporting.results import Scenario
from reporting.run_info import display_rows
from support.checklist import ITEMS, item_title, proven_items

PASS, PARTIAL, FAIL, NOT_RUN = "pass", "partial", "fail", "not run"
READY, NOT_READY, PARTIAL_RUN = "ready", "not ready", "partial"
# Where a run certifies (a READY there is a certification) and where it only rehearses.
CERTIFYING_TARGETS = ("sandbox", "sandbox + emulator rehearsal")
TARGET_WORDS = {
    "sandbox": "the Cryptopay sandbox",
    "sandbox + emulator rehearsal": "the Cryptopay sandbox (emulator-only scenarios rehearsed on the emulator)",
    "standalone emulator": "a standalone emulator",
    "embedded emulator": "the embedded emulator",
    "non-sandbox host": "a NON-SANDBOX host",
}


@dataclass(frozen=True)
class ItemProof:
    """What one scenario shows about one item: passed, failed or not run, and why."""
    status: str  # passed | failed | not run
    detail: str = ""


def _then_steps(scenario: Scenario) -> list[tuple[str, str, set[int]]]:
    return [(text, status, proven_items(kind, text, scenario.items)) for kind, text, status in scenario.steps
            if kind == "then"]


def item_proof(scenario: Scenario, item: int) -> ItemProof:
    """A failing scenario fails only the items whose proof failed: the failed Then-step's items, or all its items
    when the scene could not be set (a Given or When failed). Its other items keep what their steps showed."""
    if scenario.status == "passed":
        return ItemProof("passed")
    if scenario.status == "skipped":
        return ItemProof(NOT_RUN, scenario.skip_reason)
    failed = next(((kind, text) for kind, text, status in scenario.steps if status in ("failed", "broken")), None)
    message = scenario.message.strip().splitlines()[0][:300] if scenario.message.strip() else scenario.status
    if failed is None or failed[0] != "then":
        return ItemProof("failed", message)
    if item in proven_items("then", failed[1], scenario.items):
        return ItemProof("failed", message)
    own = [status for text, status, items in _then_steps(scenario) if item in items]
    if own and all(status == "passed" for status in own):
        return ItemProof("passed", f"its own steps passed; the scenario failed at: {failed[1]}")
    return ItemProof(NOT_RUN, f"not reached: the scenario failed earlier, at: {failed[1]}")


def item_verdict(proofs: list[ItemProof]) -> str:
    """FAIL if any scenario's proof of the item failed; PASS only if every scenario proved it; PARTIAL if some
    did and others could not run; NOT RUN if none ran."""
    if any(p.status == "failed" for p in proofs):
        return FAIL
    if not any(p.status == "passed" for p in proofs):
        return NOT_RUN
    return PARTIAL if any(p.status == NOT_RUN for p in proofs) else PASS


def _scenario_row(scenario: Scenario, proof: ItemProof | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"name": scenario.title, "feature": scenario.feature, "status": scenario.status}
    if proof is not None and proof.status != scenario.status:
        row["for_this_item"] = proof.status
    if scenario.status == "skipped":
        row["skip_reason"] = scenario.skip_reason
    elif scenario.status != "passed" and scenario.message:
        row["message"] = scenario.message.strip().splitlines()[0][:300]
    if proof is not None and proof.detail and scenario.status not in ("passed", "skipped") \
            and proof.detail != row.get("message"):
        row["detail"] = proof.detail
    if scenario.proven_on:
        row["proven_on"] = scenario.proven_on
    return row


def _overall(items: list[dict[str, Any]]) -> str:
    verdicts = {item["verdict"] for item in items}
    if verdicts == {PASS}:
        return READY
    return NOT_READY if FAIL in verdicts else PARTIAL_RUN


def _numbers(items: list[dict[str, Any]], verdicts: set[str]) -> str:
    numbers = [str(i["item"]) for i in items if i["verdict"] in verdicts]
    return ("item " if len(numbers) == 1 else "items ") + ", ".join(numbers)


def target_class(run_info: dict[str, Any]) -> str:
    """The recorded target class; older runs only recorded the target in words."""
    if run_info.get("target_class"):
        return str(run_info["target_class"])
    words = str(run_info.get("cryptopay_target") or "")
    for prefix, target in (("embedded emulator", "embedded emulator"), ("standalone emulator", "standalone emulator"),
                           ("Cryptopay sandbox", "sandbox"), ("NON-SANDBOX", "non-sandbox host")):
        if words.startswith(prefix):
            return target
    return ""


def headline(overall: str, items: list[dict[str, Any]], run_info: dict[str, Any]) -> str:
    """One sentence that says what was proven, where, and for which merchant build."""
    target = target_class(run_info)
    where = TARGET_WORDS.get(target, "an unrecorded target")
    build = run_info.get("merchant_build")
    suffix = f" (merchant build {build})" if build else ""
    if overall == NOT_READY:
        return f"NOT READY on {where}: {_numbers(items, {FAIL})} fail{suffix}"
    if overall == PARTIAL_RUN:
        return (f"PARTIAL on {where}: {_numbers(items, {PARTIAL, NOT_RUN})} not fully proven (scenarios not run); "
                f"never READY until every scenario has passed{suffix}")
    if target in CERTIFYING_TARGETS:
        return f"READY on {where}{suffix}"
    return f"ALL ITEMS PASS on {where}: a rehearsal, not a certification{suffix}"


def _subset_words(run_info: dict[str, Any]) -> str:
    selection = run_info.get("selection")
    return f"Subset run ({selection}), not a certification. " if selection else ""


def build_summary(scenarios: list[Scenario], run_info: dict[str, Any]) -> dict[str, Any]:
    items = []
    for number in sorted(ITEMS):
        behind = [s for s in scenarios if number in s.items]
        proofs = [item_proof(s, number) for s in behind]
        items.append({
            "item": number,
            "title": item_title(number),
            "verdict": item_verdict(proofs),
            "scenarios": [_scenario_row(s, p) for s, p in zip(behind, proofs)],
            "not_run": sum(1 for p in proofs if p.status == NOT_RUN),
            "skip_reasons": sorted({p.detail for p in proofs if p.status == NOT_RUN and p.detail}),
        })
    overall = _overall(items)
    return {
        "report": "Cryptopay go-live certification",
        "overall": overall,
        "certification": overall == READY and target_class(run_info) in CERTIFYING_TARGETS,
        "headline": _subset_words(run_info) + headline(overall, items, run_info),
        "items_passed": sum(1 for item in items if item["verdict"] == PASS),
        "items_total": len(ITEMS),
        "scenarios_not_run": sum(1 for s in scenarios if s.status == "skipped"),
        "scenarios_total": len(scenarios),
        "run": run_info,
        "items": items,
        "scenarios_without_item": [_scenario_row(s) for s in scenarios if not s.items],
    }


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


MARKS = {PASS: "PASS", PARTIAL: "PARTIAL", FAIL: "FAIL", NOT_RUN: "NOT RUN"}


def _item_reason(item: dict[str, Any]) -> str:
    """The first thing a reader needs about an item that did not pass: the first failure or not-run reason."""
    for row in item["scenarios"]:
        if row.get("for_this_item", row["status"]) in ("failed", "broken"):
            return f"{row['name']}: {row.get('message') or row['status']}"
    for row in item["scenarios"]:
        if row.get("for_this_item", row["status"]) in (NOT_RUN, "skipped"):
            return f"{row['name']}: {row.get('skip_reason') or row.get('detail') or 'not run'}"
    return ""


def render_markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Cryptopay go-live summary",
        "",
        f"**{summary.get('headline') or summary['overall'].upper()}**",
        "",
        f"{summary['items_passed']} of {summary['items_total']} checklist items fully pass; "
        f"{summary.get('scenarios_not_run', 0)} of {summary.get('scenarios_total', 0)} scenarios did not run. "
        "READY only when every item passes with every scenario run, on the Cryptopay sandbox.",
        "",
        "## Checklist",
        "",
        "| Item | Verdict | Scenarios (passed / run / total) | First reason |",
        "|---|---|---|---|",
    ]
    for item in summary["items"]:
        rows = item["scenarios"]
        ran = [r for r in rows if r.get("for_this_item", r["status"]) not in (NOT_RUN, "skipped")]
        passed = [r for r in rows if r.get("for_this_item", r["status"]) == "passed"]
        reason = _item_reason(item) if item["verdict"] != PASS else ""
        lines.append(f"| {_md_cell(item['title'])} | {MARKS[item['verdict']]} | "
                     f"{len(passed)} / {len(ran)} / {len(rows)} | {_md_cell(reason[:200])} |")
    lines += ["", "## Run", "", "| | |", "|---|---|",
              *(f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in display_rows(summary["run"]))]
    for item in summary["items"]:
        lines += ["", f"### {item['title']}: {MARKS[item['verdict']]}", ""]
        if not item["scenarios"]:
            lines.append("- no scenario proves this item")
        for row in item["scenarios"]:
            lines.append(f"- {_row_words(row)}")
    return "\n".join(lines) + "\n"


def _row_words(row: dict[str, Any]) -> str:
    status = row.get("for_this_item", row["status"])
    text = f"{status}: {row['name']}"
    if row.get("proven_on"):
        text += f" (proven on {row['proven_on']})"
    detail = row.get("skip_reason") or row.get("message") or ""
    if row.get("detail") and row.get("for_this_item"):
        detail = row["detail"]
    return text + (f" ({detail})" if detail else "")


def write_summary(summary: dict[str, Any], output_dir: Path) -> tuple[Path, Path]:
    output_dir = Path(output_dir)
    json_path = output_dir / "go-live-summary.json"
    md_path = output_dir / "go-live-summary.md"
    json_path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    md_path.write_text(render_markdown(summary), encoding="utf-8")
    return json_path, md_path
