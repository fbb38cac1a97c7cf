"""Writes every collected scenario, selected or not, beside the Allure results, so none can vanish from a verdict."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from allure_commons.utils import md5
from allure_pytest_bdd.utils import (convert_params, get_full_name, get_history_id, get_outline_params,
                                     get_pytest_params)
from pytest_bdd.scenario import scenario_wrapper_template_registry

from support.checklist import item_numbers

MANIFEST = "collected-scenarios.json"
EMULATOR_ONLY_REASON = ("needs the emulator's sandbox control API (forced risk levels, the clock, the monitoring "
                        "team's decision); the real sandbox offers no such control")
DESELECTED_REASON = "deselected by this run's selection ({selection}): not part of this run"


def scenario_entry(item: pytest.Item) -> dict[str, Any] | None:
    """What Allure will call this scenario (the same fullName and historyId), its tags and its steps."""
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is None:
        return None  # a plain test, not a Gherkin scenario
    outline, params = get_outline_params(item), get_pytest_params(item)
    scenario = template.render(outline)
    full_name = get_full_name(template.feature, scenario)
    tags = sorted({marker.name for marker in item.iter_markers()} - {"parametrize", "usefixtures", "skip"})
    return {
        "nodeid": item.nodeid,
        "name": scenario.name,
        "fullName": full_name,
        "historyId": get_history_id(md5(full_name), convert_params(outline, params), {**params, **outline}),
        "testCaseId": md5(full_name),
        "feature": template.feature.name,
        "parameters": [{"name": name, "value": str(value)} for name, value in outline.items()],
        "tags": tags,
        "items": item_numbers(tags),
        "steps": [{"type": step.type, "keyword": step.keyword, "text": step.name} for step in scenario.steps],
    }


def _selection(config: pytest.Config) -> str:
    parts = [f"-m {config.option.markexpr!r}" if config.option.markexpr else "",
             f"-k {config.option.keyword!r}" if config.option.keyword else ""]
    return " ".join(p for p in parts if p) or "file or node selection"


def write_manifest(results_dir: Path, entries: list[dict[str, Any]], selection: str) -> None:
    """Atomically, because every xdist worker collects the same scenarios and writes the same file."""
    results_dir.mkdir(parents=True, exist_ok=True)
    document = {"written_at": int(time.time() * 1000), "selection": selection, "scenarios": entries}
    handle, temp = tempfile.mkstemp(dir=results_dir, prefix=".manifest-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1)
    os.replace(temp, results_dir / MANIFEST)


def read_manifest(results_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(results_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("scenarios"), list) else None


def _has_control(config: pytest.Config) -> bool:
    from support.keys import SETTINGS_KEY  # the settings live in the config's stash, put there by conftest.py
    settings = config.stash.get(SETTINGS_KEY, None)
    return settings is None or settings.has_control


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    collected = list(items)
    yield  # -m and -k deselect here
    selected = {id(item) for item in items}
    no_control = not _has_control(config)
    entries = []
    for item in collected:
        entry = scenario_entry(item)
        if entry is None:
            continue
        if id(item) not in selected:
            entry["not_run_reason"] = DESELECTED_REASON.format(selection=_selection(config))
        elif no_control and "emulator_only" in entry["tags"]:
            # Skipped at setup, before Allure opens a result: the manifest is what keeps it in the evidence.
            item.add_marker(pytest.mark.skip(reason=EMULATOR_ONLY_REASON))
            entry["not_run_reason"] = EMULATOR_ONLY_REASON
        entries.append(entry)
    results = getattr(config.option, "allure_report_dir", None)
    if results and entries:
        write_manifest(Path(results), entries, _selection(config))
