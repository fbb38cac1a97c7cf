"""The go-live summary: each of the 14 checklist items with pass / fail / not run and the scenarios behind it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reporting.results import Scenario
from reporting.run_info import display_rows
from support.checklist import ITEMS, item_title

PASS, PARTIAL, FAIL, NOT_RUN = "pass", "partial", "fail", "not run"


def item_verdict(scenarios: list[Scenario]) -> str:
    """Fail if any scenario did not pass or skip; pass only if every scenario behind the item ran and passed;
    partial if some passed and others could not run on this target (a skip is never counted as a pass)."""
    if any(s.status not in ("passed", "skipped") for s in scenarios):
        return FAIL
    if not any(s.status == "passed" for s in scenarios):
        return NOT_RUN
    return PARTIAL if any(s.status == "skipped" for s in scenarios) else PASS


def _scenario_row(scenario: Scenario) -> dict[str, Any]:
    row: dict[str, Any] = {"name": scenario.title, "feature": scenario.feature, "status": scenario.status}
    if scenario.status == "skipped":
        row["skip_reason"] = scenario.skip_reason
    elif scenario.status != "passed" and scenario.message:
        row["message"] = scenario.message.strip().splitlines()[0][:300]
    return row


def build_summary(scenarios: list[Scenario], run_info: dict[str, Any]) -> dict[str, Any]:
    items = []
    for number in sorted(ITEMS):
        behind = [s for s in scenarios if number in s.items]
        items.append({
            "item": number,
            "title": item_title(number),
            "verdict": item_verdict(behind),
            "scenarios": [_scenario_row(s) for s in behind],
            "skipped": sum(1 for s in behind if s.status == "skipped"),
            "skip_reasons": sorted({s.skip_reason for s in behind if s.status == "skipped"}),
        })
    passed = sum(1 for item in items if item["verdict"] == PASS)
    verdicts = {item["verdict"] for item in items}
    overall = ("ready" if passed == len(ITEMS)
               else "partially proven" if verdicts <= {PASS, PARTIAL} else "not ready")
    return {
        "report": "Cryptopay go-live certification",
        "overall": overall,
        "items_passed": passed,
        "items_total": len(ITEMS),
        "run": run_info,
        "items": items,
        "scenarios_without_item": [_scenario_row(s) for s in scenarios if not s.items],
    }


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: dict[str, Any]) -> str:
    marks = {PASS: "PASS", PARTIAL: "PARTIAL", FAIL: "FAIL", NOT_RUN: "NOT RUN"}
    lines = [
        "# Cryptopay go-live summary",
        "",
        f"**Overall: {summary['overall'].upper()}** ({summary['items_passed']} of {summary['items_total']} "
        "checklist items fully pass; ready only when all pass with every scenario run; PARTIAL means some of "
        "an item's scenarios could not run on this target)",
        "",
        "## Run",
        "",
        "| | |",
        "|---|---|",
        *(f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in display_rows(summary["run"])),
        "",
        "## Checklist",
        "",
        "| Item | Verdict | Scenarios (passed / run / total) |",
        "|---|---|---|",
    ]
    for item in summary["items"]:
        rows = item["scenarios"]
        ran = [r for r in rows if r["status"] != "skipped"]
        passed = [r for r in rows if r["status"] == "passed"]
        # A pass with skipped scenarios is still a pass, but the reviewer should see it was not fully exercised.
        verdict = marks[item["verdict"]] + (f", {len(rows) - len(ran)} skipped" if len(ran) < len(rows) else "")
        lines.append(f"| {_md_cell(item['title'])} | {verdict} | "
                     f"{len(passed)} / {len(ran)} / {len(rows)} |")
    for item in summary["items"]:
        lines += ["", f"### {item['title']}: {marks[item['verdict']]}", ""]
        if not item["scenarios"]:
            lines.append("- no scenario proves this item")
        for row in item["scenarios"]:
            detail = row.get("skip_reason") or row.get("message") or ""
            lines.append(f"- {row['status']}: {row['name']}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines) + "\n"


def write_summary(summary: dict[str, Any], output_dir: Path) -> tuple[Path, Path]:
    output_dir = Path(output_dir)
    json_path = output_dir / "go-live-summary.json"
    md_path = output_dir / "go-live-summary.md"
    json_path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    md_path.write_text(render_markdown(summary), encoding="utf-8")
    return json_path, md_path
