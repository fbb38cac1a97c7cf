"""The go-live summary: the verdict first, a verdict per product, then each checklist item and its scenarios."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checklists import PRODUCTS, Item, all_items, items_words, product_title, proven_items
from reporting.blame import NOT_PROVING, blame_of
from reporting.cryptopay_objects import describe
from reporting.inert import markdown_text
from reporting.manifest import NOT_CHOSEN_REASON
from reporting.results import Scenario
from reporting.run_info import display_rows, identity, identity_rows, observed_class

PASS, PARTIAL, FAIL, NOT_RUN = "pass", "partial", "fail", "not run"
READY, NOT_READY, PARTIAL_RUN = "ready", "not ready", "partial"
# Every item passed, but not on the Cryptopay sandbox: never "ready", so a gate reading the JSON cannot go live on it.
REHEARSAL_PASSED = "rehearsal_passed"
# An item, product or run whose proof the environment or the run's configuration stopped (a target unreachable, an
# emulator's own delays, the Callback URL): nothing failed, nothing was proven; never READY, never a product defect.
NOT_PROVEN = "not proven"
# A product the merchant does not integrate (never a failure, never READY), and a certified product that has no
# scenario yet (never READY).
NOT_INTEGRATED, NO_SCENARIOS = "not integrated", "no scenarios"
OLDER_RUN_REASON = "not integrated (the run recorded the invoice checklist only)"
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
    """What one scenario shows about one item: passed, failed, not proven or not run, and why."""
    status: str  # passed | failed | not proven | not run
    detail: str = ""
    category: str = ""  # of a failed or not proven proof: product defect | environment | configuration


def _then_steps(scenario: Scenario) -> list[tuple[str, str, set[Item]]]:
    return [(text, status, proven_items(kind, text, scenario.items)) for kind, text, status in scenario.steps
            if kind == "then"]


def item_proof(scenario: Scenario, item: Item) -> ItemProof:
    """A failing scenario fails only the items whose proof failed: the items its diagnosis names (a wrong amount is
    invoices item 12 wherever it is seen), else the failed Then-step's items, or all its items when the scene could
    not be set (a Given or When failed). A failure that proves nothing about the merchant (the environment, the
    run's configuration) leaves its items not proven. Its other items keep what their steps showed."""
    if scenario.status == "passed":
        return ItemProof("passed")
    if scenario.status == "skipped":
        return ItemProof(NOT_RUN, scenario.skip_reason)
    failed = next(((kind, text) for kind, text, status in scenario.steps if status in ("failed", "broken")), None)
    blame = blame_of(scenario.message, scenario.status)
    message = blame.reason[:300]
    if blame.items:
        if item in blame.items:
            return ItemProof("failed", message, blame.category)
        return _beside_the_failure(scenario, item, failed, f"{items_words(Item(*i) for i in blame.items)} failed")
    if blame.proves_nothing:
        kept = _beside_the_failure(scenario, item, failed, f"{blame.category} stopped it")
        return kept if kept.status == "passed" else ItemProof(NOT_PROVEN, message, blame.category)
    if failed is None or failed[0] != "then" or item in proven_items("then", failed[1], scenario.items):
        return ItemProof("failed", message, blame.category)
    return _beside_the_failure(scenario, item, failed, "")


def scenario_proofs(scenario: Scenario) -> list[tuple[Item | None, ItemProof]]:
    """What one scenario shows of each item it proves (its tags, and any item its failure names): the entries of the
    Allure part (reporting/tidy.py); a scenario of no item is one entry of its own."""
    blame = blame_of(scenario.message, scenario.status)
    named = [Item(*i) for i in blame.items] if scenario.status not in ("passed", "skipped") else []
    items = sorted({*scenario.items, *named}, key=Item.sort_key)
    if items:
        return [(item, item_proof(scenario, item)) for item in items]
    if scenario.status in ("passed", "skipped"):
        return [(None, ItemProof("passed" if scenario.status == "passed" else NOT_RUN, scenario.skip_reason))]
    return [(None, ItemProof(NOT_PROVEN if blame.proves_nothing else "failed", blame.reason[:300], blame.category))]


ENTRY_STATUSES = ("passed", "failed", NOT_PROVEN, NOT_RUN)


def entry_figures(scenarios: list[Scenario]) -> dict[str, int]:
    """How many entries the Allure part lists (each scenario once under each item it proves), and of each status:
    the banner states them, so the two parts of the page tell one story."""
    statuses = [proof.status for s in scenarios for _item, proof in scenario_proofs(s)]
    return {"entries": len(statuses), **{status: statuses.count(status) for status in ENTRY_STATUSES}}


def _beside_the_failure(scenario: Scenario, item: Item, failed: tuple[str, str] | None, why: str) -> ItemProof:
    """An item the failure is not about: passed if its own Then-steps all passed, else not reached."""
    at = f"at: {failed[1]}" if failed else "before its steps"
    own = [status for text, status, items in _then_steps(scenario) if item in items]
    if own and all(status == "passed" for status in own):
        return ItemProof("passed", f"its own steps passed; the scenario failed {at}" + (f" ({why})" if why else ""))
    return ItemProof(NOT_RUN, f"not reached: the scenario failed earlier{f' ({why})' if why else ''}, {at}")


def item_verdict(proofs: list[ItemProof]) -> str:
    """FAIL if any scenario's proof of the item failed; else NOT PROVEN if the environment or the run's configuration
    stopped one; PASS only if every scenario proved it; PARTIAL if some did and others could not run; NOT RUN if
    none ran."""
    if any(p.status == "failed" for p in proofs):
        return FAIL
    if any(p.status == NOT_PROVEN for p in proofs):
        return NOT_PROVEN
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
    if proof is not None and proof.category:
        row["category"] = proof.category
    if scenario.proven_on:
        row["proven_on"] = scenario.proven_on
    return row


def _overall(items: list[dict[str, Any]]) -> str:
    verdicts = {item["verdict"] for item in items}
    if verdicts == {PASS}:
        return READY
    if FAIL in verdicts:
        return NOT_READY
    return NOT_PROVEN if NOT_PROVEN in verdicts else PARTIAL_RUN


def target_class(run_info: dict[str, Any]) -> str:
    """Where the run was, decided from the API URL it talked to (reporting/run_info.py), never from a label."""
    return observed_class(run_info)


def product_choice(run_info: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """(the products this run certifies, product -> why each other one is not integrated). run-info records the
    chosen products (CERTIFY_PRODUCTS) and the reasons; a run recorded before there were three products certified
    invoices only."""
    recorded = run_info.get("not_integrated")
    reasons = {str(p): str(r) for p, r in recorded.items() if p in PRODUCTS} if isinstance(recorded, dict) else {}
    chosen = run_info.get("products")
    if isinstance(chosen, list):
        default = NOT_CHOSEN_REASON
    else:
        chosen, default = ["invoices"], OLDER_RUN_REASON
    for product in PRODUCTS:
        if product not in chosen:
            reasons.setdefault(product, default)
    return [p for p in PRODUCTS if p not in reasons], {p: reasons[p] for p in PRODUCTS if p in reasons}


def _product_verdict(items: list[dict[str, Any]]) -> str:
    """A certified product with no scenario at all is NO SCENARIOS (never READY); otherwise as its items say."""
    if not any(item["scenarios"] for item in items):
        return NO_SCENARIOS
    return _overall(items)


def _items_words(items: list[dict[str, Any]], verdicts: set[str], one_product: bool) -> str:
    """"invoices item 12; channels items 5, 6", or "item 12" when one product is certified."""
    words = items_words(Item(i["product"], i["item"]) for i in items if i["verdict"] in verdicts)
    return words.split(" ", 1)[1] if one_product and words else words


def _where(run_info: dict[str, Any]) -> tuple[str, str]:
    where = TARGET_WORDS.get(target_class(run_info), "an unrecorded target")
    build = run_info.get("merchant_build")
    return where, f" (merchant build {build})" if build else ""


def headline(overall: str, products: list[dict[str, Any]], items: list[dict[str, Any]],
             run_info: dict[str, Any]) -> str:
    """One sentence that says what was proven, for which products, where, for which merchant build, and which
    products are not integrated."""
    where, suffix = _where(run_info)
    certified = [p for p in products if p["verdict"] != NOT_INTEGRATED]
    names = ", ".join(p["product"] for p in certified)
    others = [p["product"] for p in products if p["verdict"] == NOT_INTEGRATED]
    tail = f"; {', '.join(others)} not integrated" if others else ""
    if not certified:
        return f"NOTHING CERTIFIED on {where}: {', '.join(others)} not integrated{suffix}"
    mine = [i for i in items if i["product"] in {p["product"] for p in certified}]
    one = len(certified) == 1
    if overall == NOT_READY:
        return (f"NOT READY for {names} on {where}: {_items_words(mine, {FAIL}, one)} fail"
                f"{_not_proven_words(mine, one, '; ')}{suffix}{tail}")
    if overall == NOT_PROVEN:
        return f"{_not_proven_headline(names, where, mine, one)}{suffix}{tail}"
    if overall == PARTIAL_RUN:
        return (f"PARTIAL for {names} on {where}: {_gaps(certified, mine, one)}; never READY until every scenario "
                f"has passed{suffix}{tail}")
    if target_class(run_info) in CERTIFYING_TARGETS:
        return f"READY for {names} on {where}{suffix}{tail}"
    return f"ALL ITEMS PASS for {names} on {where}: a rehearsal, not a certification{suffix}{tail}"


def _not_proven_categories(items: list[dict[str, Any]]) -> list[str]:
    """What stopped the items not proven: environment, configuration, in that order."""
    found = {item.get("not_proven") for item in items if item["verdict"] == NOT_PROVEN}
    return [category for category in NOT_PROVING if category in found]


def _spans(words: str) -> str:
    """"items 1, 2, 3, 4, 7" -> "items 1–4, 7": an outage touches most items, and a headline names them all."""
    def compact(match: re.Match) -> str:
        numbers, runs = [int(n) for n in match.group(0).split(", ")], []
        for n in numbers:
            if runs and n == runs[-1][1] + 1:
                runs[-1][1] = n
            else:
                runs.append([n, n])
        return ", ".join(f"{a}–{b}" if b - a >= 2 else ", ".join(map(str, range(a, b + 1))) for a, b in runs)
    return re.sub(r"\d+(?:, \d+)+", compact, words)


def _not_proven_words(items: list[dict[str, Any]], one_product: bool, lead: str) -> str:
    """"; items 3, 4 not proven (environment)", or nothing when every item was proven either way."""
    words = _spans(_items_words(items, {NOT_PROVEN}, one_product))
    return f"{lead}{words} not proven ({' and '.join(_not_proven_categories(items))})" if words else ""


def _not_proven_headline(names: str, where: str, items: list[dict[str, Any]], one_product: bool) -> str:
    """"NOT PROVEN: ENVIRONMENT for invoices on …: items 5, 6 not proven, none failed: the merchant did not answer …":
    an outage or a misrouted notification is never read as a product defect, and never as READY."""
    label = " AND ".join(c.upper() for c in _not_proven_categories(items))
    first = next((_why_words(i["not_proven_reason"]) for i in items
                  if i["verdict"] == NOT_PROVEN and i.get("not_proven_reason")), "")
    return (f"NOT PROVEN: {label} for {names} on {where}: {_spans(_items_words(items, {NOT_PROVEN}, one_product))} "
            f"not proven, none failed" + (f": {first}" if first else ""))


def _why_words(reason: str) -> str:
    """The cause alone, from a "Why (...): cause. Fix: ..." reason, cut to fit a headline."""
    cause = re.sub(r"^Why \([^)]*\): ", "", reason).split(". Fix: ")[0].rstrip(".")
    return cause if len(cause) <= 160 else cause[:159] + "…"


def _gaps(certified: list[dict[str, Any]], items: list[dict[str, Any]], one_product: bool) -> str:
    """What keeps a PARTIAL run from READY: items not fully proven, and certified products without scenarios."""
    empty = [p["product"] for p in certified if p["verdict"] == NO_SCENARIOS]
    unproven = _items_words([i for i in items if i["product"] not in empty], {PARTIAL, NOT_RUN}, one_product)
    gaps = [f"{unproven} not fully proven (scenarios not run)"] if unproven else []
    return "; ".join(gaps + ([f"{', '.join(empty)} without scenarios"] if empty else []))


def _subset_words(run_info: dict[str, Any]) -> str:
    selection = run_info.get("selection")
    return f"Subset run ({selection}), not a certification. " if selection else ""


def _item_entry(item: Item, scenarios: list[Scenario], reason: str | None) -> dict[str, Any]:
    behind = [s for s in scenarios if item in s.items or item in blame_of(s.message, s.status).items]
    proofs = [item_proof(s, item) for s in behind]
    verdict = NOT_INTEGRATED if reason is not None else item_verdict(proofs)
    stopped = next((p for p in proofs if p.status == NOT_PROVEN), None) if verdict == NOT_PROVEN else None
    return {
        "product": item.product,
        "item": item.number,
        "id": str(item),
        "title": item.title,
        "verdict": verdict,
        "scenarios": [_scenario_row(s, p) for s, p in zip(behind, proofs)],
        "not_run": sum(1 for p in proofs if p.status == NOT_RUN),
        "skip_reasons": sorted({p.detail for p in proofs if p.status == NOT_RUN and p.detail}),
        **({"not_proven": stopped.category, "not_proven_reason": stopped.detail} if stopped else {}),
    }


def _product_entry(product: str, items: list[dict[str, Any]], reason: str | None) -> dict[str, Any]:
    verdict = NOT_INTEGRATED if reason is not None else _product_verdict(items)
    entry = {"product": product, "title": product_title(product), "verdict": verdict,
             "items_passed": sum(1 for i in items if i["verdict"] == PASS), "items_total": len(items)}
    if verdict == NOT_PROVEN:
        entry["not_proven"] = " and ".join(_not_proven_categories(items))
    return {**entry, "reason": reason} if reason is not None else entry


def _combined(products: list[dict[str, Any]]) -> str:
    """The overall verdict over the certified products: NOT READY beats NOT PROVEN beats PARTIAL beats READY."""
    verdicts = {p["verdict"] for p in products if p["verdict"] != NOT_INTEGRATED}
    for verdict in (NOT_READY, NOT_PROVEN):
        if verdict in verdicts:
            return verdict
    return READY if verdicts == {READY} else PARTIAL_RUN


def as_rehearsal(verdict: str, run_info: dict[str, Any]) -> str:
    """A pass away from the sandbox reads REHEARSAL_PASSED in the JSON, as the headline says it: not READY."""
    return REHEARSAL_PASSED if verdict == READY and target_class(run_info) not in CERTIFYING_TARGETS else verdict


def build_summary(scenarios: list[Scenario], run_info: dict[str, Any],
                  objects: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Items per product, a verdict per product, and one overall verdict over the products this run certifies;
    `objects`: the Cryptopay objects behind each scenario (reporting/cryptopay_objects.py)."""
    certified, reasons = product_choice(run_info)
    items = [_item_entry(item, scenarios, reasons.get(item.product)) for item in all_items()]
    products = [_product_entry(p, [i for i in items if i["product"] == p], reasons.get(p)) for p in PRODUCTS]
    overall = _combined(products)
    counted = [i for i in items if i["product"] in certified]
    line = _subset_words(run_info) + headline(overall, products, items, run_info)
    return {
        "report": "Cryptopay go-live certification",
        "overall": as_rehearsal(overall, run_info),
        "certification": overall == READY and target_class(run_info) in CERTIFYING_TARGETS,
        "headline": line,
        "identity": identity(run_info),
        "products": [{**p, "verdict": as_rehearsal(p["verdict"], run_info)} for p in products],
        "items_passed": sum(1 for item in counted if item["verdict"] == PASS),
        "items_total": len(counted),
        "scenarios_not_run": sum(1 for s in scenarios if s.status == "skipped"),
        "scenarios_total": len(scenarios),
        "run": run_info,
        "items": items,
        "scenarios_without_item": [_scenario_row(s) for s in scenarios if not s.items],
        "cryptopay_objects": objects or [],
        "evidence_entries": entry_figures(scenarios),
    }


def _md_cell(text: str) -> str:
    """Any text in the Markdown summary (a merchant's words among them) shows as text: no HTML, image or link."""
    return markdown_text(text)


MARKS = {PASS: "PASS", PARTIAL: "PARTIAL", FAIL: "FAIL", NOT_RUN: "NOT RUN", NOT_INTEGRATED: "NOT INTEGRATED",
         NOT_PROVEN: "NOT PROVEN"}
PRODUCT_MARKS = {READY: "READY", NOT_READY: "NOT READY", PARTIAL_RUN: "PARTIAL", NOT_INTEGRATED: "NOT INTEGRATED",
                 NO_SCENARIOS: "NO SCENARIOS", REHEARSAL_PASSED: "ALL ITEMS PASS (a rehearsal, not a certification)",
                 NOT_PROVEN: "NOT PROVEN"}


def product_words(product: dict[str, Any], summary: dict[str, Any]) -> str:
    """"Invoices: READY (14 of 14 items pass)", a rehearsal's pass said as such, and why a product is left out."""
    verdict = product["verdict"]
    if verdict == NOT_INTEGRATED:
        return f"{product['title']}: NOT INTEGRATED: {product.get('reason', NOT_CHOSEN_REASON)}"
    if verdict == NO_SCENARIOS:
        return f"{product['title']}: NO SCENARIOS: no scenario of this checklist was collected; never READY"
    mark = PRODUCT_MARKS[as_rehearsal(verdict, summary["run"])]
    if verdict == NOT_PROVEN and product.get("not_proven"):
        mark = f"NOT PROVEN: {product['not_proven'].upper()}, nothing failed"
    return f"{product['title']}: {mark} ({product['items_passed']} of {product['items_total']} items pass)"


def product_items(summary: dict[str, Any], product: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in summary["items"] if item["product"] == product["product"]]


def products_of(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's products; a summary written before there were three holds the invoice items only."""
    return summary.get("products") or [{"product": "invoices", "title": "Invoices", "verdict": summary["overall"],
                                        "items_passed": summary["items_passed"],
                                        "items_total": summary["items_total"]}]


# "support.drivers.waiting.Decided: " before a reason tells a reviewer nothing; the words after it do.
_EXCEPTION_CLASS = re.compile(r"^(?:(?:[a-z_]\w*\.)+[A-Z]\w*"
                              r"|[A-Z]\w*(?:Error|Exception|Timeout|Failure|Rejected|Decided)): (?=\S)")


def item_reason(item: dict[str, Any]) -> str:
    """The first thing a reader needs about an item that did not pass, reason first: the first failure, what kept
    it from being proven, or why a scenario did not run; then the scenario it was seen in."""
    for statuses in (("failed", "broken"), (NOT_PROVEN,), (NOT_RUN, "skipped")):
        for row in item["scenarios"]:
            if row.get("for_this_item", row["status"]) in statuses:
                reason = row.get("message") or row.get("skip_reason") or row.get("detail") or row["status"]
                if row.get("for_this_item") in (NOT_RUN, NOT_PROVEN) and row.get("detail"):
                    reason = row["detail"]
                return f"{reason_words(reason)} (in: {row['name']})"
    return ""


def reason_words(message: str) -> str:
    """A failure's words without the Python name of its exception in front ("support.drivers.waiting.Decided: ")."""
    return _EXCEPTION_CLASS.sub("", message)


def _markdown_table(summary: dict[str, Any], product: dict[str, Any]) -> list[str]:
    lines = [f"## {_md_cell(product_words(product, summary))}", ""]
    if product["verdict"] == NOT_INTEGRATED:
        return lines
    lines += ["| Item | Verdict | Scenarios (passed / run / total) | First reason |", "|---|---|---|---|"]
    for item in product_items(summary, product):
        rows = item["scenarios"]
        ran = [r for r in rows if r.get("for_this_item", r["status"]) not in (NOT_RUN, "skipped")]
        passed = [r for r in rows if r.get("for_this_item", r["status"]) == "passed"]
        reason = item_reason(item) if item["verdict"] != PASS else ""
        lines.append(f"| {_md_cell(item['title'])} | {MARKS[item['verdict']]} | "
                     f"{len(passed)} / {len(ran)} / {len(rows)} | {_md_cell(reason[:200])} |")
    return lines + [""]


def render_markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Cryptopay go-live summary",
        "",
        f"**{_md_cell(summary.get('headline') or summary['overall'].upper())}**",
        "",
        f"{summary['items_passed']} of {summary['items_total']} checklist items of the certified products fully "
        f"pass; {summary.get('scenarios_not_run', 0)} of {summary.get('scenarios_total', 0)} scenarios did not run. "
        "READY only when every item of every certified product passes with every scenario run, on the Cryptopay "
        "sandbox.",
        "",
    ]
    lines += identity_markdown(summary)
    for product in products_of(summary):
        lines += _markdown_table(summary, product)
    lines += ["## Run", "", "| | |", "|---|---|",
              *(f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in display_rows(summary["run"]))]
    for item in summary["items"]:
        if item["verdict"] == NOT_INTEGRATED:
            continue
        lines += ["", f"### {_md_cell(item['title'])}: {MARKS[item['verdict']]}", ""]
        if not item["scenarios"]:
            lines.append("- no scenario proves this item")
        for row in item["scenarios"]:
            lines.append(f"- {_md_cell(_row_words(row))}")
    return "\n".join(lines + objects_markdown(summary)) + "\n"


def identity_markdown(summary: dict[str, Any]) -> list[str]:
    """Who, what and when, right under the verdict: what a reviewer checks the evidence against."""
    if "identity" not in summary:
        return []
    rows = identity_rows(summary["identity"])
    return ["| Evidence of | |", "|---|---|", *(f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in rows),
            ""]


def objects_markdown(summary: dict[str, Any]) -> list[str]:
    """Every Cryptopay object behind every scenario, as the scenario saw it at its end: what --verify re-reads."""
    scenarios = summary.get("cryptopay_objects") or []
    lines = ["", "## Cryptopay objects behind each scenario"]
    if not scenarios:
        return lines + ["", "- none recorded"]
    for entry in scenarios:
        where = f" (proven on {entry['proven_on']})" if entry.get("proven_on") else ""
        lines += ["", f"### {_md_cell(entry['scenario'])}{_md_cell(where)}", ""]
        lines += [f"- {_md_cell(describe(o))}" + (f", created {_md_cell(o['created_at'])}" if o.get("created_at")
                                                  else "") for o in entry["objects"]]
    return lines


def _row_words(row: dict[str, Any]) -> str:
    status = row.get("for_this_item", row["status"])
    text = f"{status}: {row['name']}"
    if row.get("proven_on"):
        text += f" (proven on {row['proven_on']})"
    detail = row.get("skip_reason") or row.get("message") or ""
    if row.get("detail") and row.get("for_this_item"):
        detail = row["detail"]
    return text + (f" ({detail})" if detail else "")


JSON_NAME, MARKDOWN_NAME = "go-live-summary.json", "go-live-summary.md"


def write_summary(summary: dict[str, Any], output_dir: Path) -> tuple[Path, Path]:
    output_dir = Path(output_dir)
    json_path = output_dir / JSON_NAME
    md_path = output_dir / MARKDOWN_NAME
    json_path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    md_path.write_text(render_markdown(summary), encoding="utf-8")
    return json_path, md_path
