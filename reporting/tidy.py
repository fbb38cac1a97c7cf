"""Prepares the results for reading: noise labels dropped, each item's group named with its verdict."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reporting.allure import NOISE_LABELS
from reporting.summary import MARKS
from support.checklists import Item, items_of


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


def tidy_results(results_dir: Path, summary: dict[str, Any]) -> int:
    """Rewrites every result file in place; returns how many were changed."""
    epics, changed = epic_names(summary), 0
    for path in Path(results_dir).glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        labels = _tidy_labels(list(data.get("labels") or []), epics)
        if labels != data.get("labels"):
            data["labels"] = labels
            path.write_text(json.dumps(data), encoding="utf-8")
            changed += 1
    return changed
