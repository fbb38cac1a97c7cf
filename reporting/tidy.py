"""Prepares the results for reading: noise labels dropped, each item's group named with its verdict, and the view
Allure builds from: every scenario once under each item it proves, with what it shows of that item."""
from __future__ import annotations

import base64
import html
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from reporting.blame import DEFECT
from reporting.results import scenario_of
from reporting.summary import MARKS, NOT_PROVEN, NOT_RUN, ItemProof, scenario_proofs
from checklists import Item, items_of

# Labels every result carries that tell a reviewer nothing (the machine, the worker thread, "python", "pytest-bdd").
NOISE_LABELS = ["host", "thread", "language", "framework"]
# The label Allure's categories read (reporting/allure.py): what a failed or not proven entry blames.
BLAME_LABEL = "go-live blame"
# Allure's status for each proof: a failure that proves nothing about the merchant is "broken", not "failed".
ALLURE_STATUS = {"passed": "passed", "failed": "failed", NOT_PROVEN: "broken", NOT_RUN: "skipped"}
ITEM_PARAMETER = "checklist item"


def epic_names(summary: dict[str, Any]) -> dict[Item, str]:
    """"Invoices item 12: Credits ... · FAIL": the report's tree reads as the checklists' verdicts."""
    return {Item(item["product"], item["item"]): f"{item['title']} · {MARKS[item['verdict']]}"
            for item in summary["items"]}


def _tidy_labels(labels: list[Any], epics: dict[Item, str]) -> list[Any]:
    kept = [label for label in labels if not (isinstance(label, dict) and
                                               label.get("name") in NOISE_LABELS + ["epic"])]
    tags = [str(label.get("value")) for label in kept if isinstance(label, dict) and label.get("name") == "tag"]
    # Rebuilt from the tags each time, so building twice never stacks verdicts onto the names.
    return kept + [{"name": "epic", "value": epics[item]} for item in items_of(tags) if item in epics]


def _result_files(results_dir: Path):
    for path in sorted(Path(results_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            yield path, data


def tidy_results(results_dir: Path, summary: dict[str, Any]) -> int:
    """Rewrites every result file in place; returns how many were changed."""
    epics, changed = epic_names(summary), 0
    for path, data in _result_files(results_dir):
        labels = _tidy_labels(list(data.get("labels") or []), epics)
        if labels != data.get("labels"):
            data["labels"] = labels
            path.write_text(json.dumps(data), encoding="utf-8")
            changed += 1
    return changed


# -- the view Allure is built from -------------------------------------------------------------------------------------
def proofs_of(data: dict[str, Any]) -> list[tuple[Item | None, ItemProof]]:
    """What one result shows of each item it proves, as the verdict reads it (reporting/summary.py)."""
    return scenario_proofs(scenario_of(data))


def _entry(data: dict[str, Any], source: str, item: Item | None, proof: ItemProof, epics: dict[Item, str],
           description: str) -> dict[str, Any]:
    """One scenario as the evidence of one item: its status for that item, filed under that item only. `source`:
    the result file's name, unique even where a hand-written result has no uuid."""
    entry = json.loads(json.dumps(data))
    labels = [label for label in entry.get("labels") or [] if isinstance(label, dict)
              and label.get("name") not in [*NOISE_LABELS, "epic", BLAME_LABEL]]
    if item is not None and item in epics:
        labels.append({"name": "epic", "value": epics[item]})
    status = ALLURE_STATUS[proof.status]
    if status in ("failed", "broken"):
        labels.append({"name": BLAME_LABEL, "value": proof.category or DEFECT})
    entry["labels"], entry["status"] = labels, status
    suffix = f"|{item.tag}" if item is not None else ""
    entry["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}{suffix}"))
    if item is not None:
        entry["historyId"] = f"{data.get('historyId') or data.get('fullName') or data.get('name')}{suffix}"
        if entry.get("testCaseId"):
            entry["testCaseId"] = f"{entry['testCaseId']}{suffix}"
        entry["parameters"] = [*(entry.get("parameters") or []), {"name": ITEM_PARAMETER, "value": str(item)}]
    if status == "passed" and data.get("status") != "passed":
        entry["statusDetails"] = {"message": proof.detail}  # passed for this item: no failure of another's here
    elif status == "skipped" and data.get("status") != "skipped":
        entry["statusDetails"] = {"message": proof.detail}
    if description:
        entry["descriptionHtml"] = description
    return entry


def view_entries(results_dir: Path, summary: dict[str, Any]) -> list[dict[str, Any]]:
    epics, entries = epic_names(summary), []
    for path, data in _result_files(results_dir):
        description = story_html(results_dir, data)
        entries += [_entry(data, path.name, item, proof, epics, description) for item, proof in proofs_of(data)]
    return entries


def allure_view(results_dir: Path, summary: dict[str, Any], into: Path) -> Path:
    """A copy of the results for Allure to read: every other file as it is, every scenario once per item it proves
    with its status for that item, so the tree, its counts, the ring and the categories follow the verdict (a failure
    that proves item 12 is never filed under item 01, and an item that passes holds nothing red)."""
    into.mkdir(parents=True, exist_ok=True)
    for path in Path(results_dir).iterdir():
        if path.is_file() and not path.name.endswith("-result.json"):
            _same_file(path, into / path.name)
    for entry in view_entries(results_dir, summary):
        (into / f"{entry['uuid']}-result.json").write_text(json.dumps(entry), encoding="utf-8")
    return into


def _same_file(source: Path, target: Path) -> None:
    """A hard link where the file system allows one (Allure only reads the view, which is deleted after): a thousand
    attachments copied cost a second on a slow disk; a copy elsewhere."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# -- the story first: a scenario opens on its deposits' one-line stories and sequence diagrams -------------------------
_STORY_LINE, _DIAGRAM = " in one line", ": sequence of events"


def story_html(results_dir: Path, data: dict[str, Any]) -> str:
    """The scenario's description, each deposit's story and its diagram, as the HTML Allure shows above the steps
    (the steps, and the traceback in them, stay folded below). The attachments were redacted when made; the story
    is escaped here, and the diagram is the suite's own SVG (its every text escaped when drawn), shown as an image."""
    parts = [f"<p>{html.escape(str(data['description']))}</p>"] if data.get("description") else []
    for attachment in _attachments(data):
        name, source = str(attachment.get("name") or ""), str(attachment.get("source") or "")
        content = _read(results_dir, source)
        if content is None:
            continue
        if name.endswith(_STORY_LINE):
            parts.append(f"<p><b>{html.escape(name.removesuffix(_STORY_LINE))}</b>: {html.escape(content)}</p>")
        elif name.endswith(_DIAGRAM) and content.lstrip().startswith("<svg"):
            # As an image: Allure's description keeps HTML only (no inline SVG), and an image runs nothing.
            image = base64.b64encode(content.encode("utf-8")).decode("ascii")
            parts.append(f'<img alt="{html.escape(name)}" style="max-width:100%" '
                         f'src="data:image/svg+xml;base64,{image}">')
    return "".join(parts) if len(parts) > (1 if data.get("description") else 0) else ""


def _attachments(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = [a for a in data.get("attachments") or [] if isinstance(a, dict)]
    for step in data.get("steps") or []:
        if isinstance(step, dict):
            found += _attachments(step)
    return found


def _read(results_dir: Path, source: str) -> str | None:
    path = Path(results_dir) / source
    if "/" in source or "\\" in source or not path.is_file():
        return None  # only a file of the results themselves
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
