"""Reads Allure result JSONs, keeping one result per scenario when xdist workers or retries wrote several."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting.inert import printable
from checklists import Item, items_of, product_of
from reporting.manifest import read_manifest

PROVEN_ON = "proven on"
_SKIP_PREFIXES = ("Skipped: ", "_pytest.outcomes.Skipped: ", "Skipped")


@dataclass(frozen=True)
class Scenario:
    name: str
    status: str
    message: str
    items: tuple[Item, ...]
    tags: tuple[str, ...]
    feature: str
    history_id: str
    stop: int = 0
    parameters: tuple[str, ...] = field(default=())
    # (type, text, status) of each Gherkin step, And/But resolved to the type they continue.
    steps: tuple[tuple[str, str, str], ...] = field(default=())
    # Where the scenario was proven when two runs are merged (the sandbox run, or the emulator rehearsal).
    proven_on: str = ""

    @property
    def product(self) -> str | None:
        """The checklist the scenario belongs to (its product tag, else its items' product)."""
        return product_of(self.tags)

    @property
    def title(self) -> str:
        return f"{self.name} [{', '.join(self.parameters)}]" if self.parameters else self.name

    @property
    def skip_reason(self) -> str:
        if self.status != "skipped":
            return ""
        reason = self.message.strip()
        for prefix in _SKIP_PREFIXES:
            if reason.startswith(prefix):
                reason = reason[len(prefix):].lstrip(": ").strip()
                break
        return reason or "no reason given"


_STEP_TYPES = {"given": "given", "when": "when", "then": "then"}


def _steps(data: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """Allure names a step "Then the ..." or "And the ..."; an And continues the type of the step before it."""
    steps, current = [], "given"
    for step in data.get("steps") or []:
        if not isinstance(step, dict):
            continue
        keyword, _, text = str(step.get("name") or "").partition(" ")
        current = _STEP_TYPES.get(keyword.lower(), current)
        steps.append((current, printable(text), str(step.get("status") or "unknown")))
    return tuple(steps)


def _proven_on(data: dict[str, Any]) -> str:
    return next((str(p.get("value")) for p in data.get("parameters") or []
                 if isinstance(p, dict) and p.get("name") == PROVEN_ON), "")


def scenario_of(data: dict[str, Any]) -> Scenario:
    """One Allure result as a Scenario: what the summary, the banner and the terminal read of it."""
    labels = [label for label in data.get("labels") or [] if isinstance(label, dict)]
    tags = tuple(str(label.get("value", "")) for label in labels if label.get("name") == "tag")
    feature = next((str(label.get("value")) for label in labels if label.get("name") == "feature"), "")
    details = data.get("statusDetails") or {}
    parameters = tuple(printable(f"{p.get('name')}={p.get('value')}") for p in data.get("parameters") or []
                       if isinstance(p, dict) and not p.get("excluded") and p.get("name") != PROVEN_ON)
    name = str(data.get("name") or data.get("fullName") or "unnamed scenario")
    # What the summary, the banner and the terminal show of a result is printable: a failure message may quote a
    # merchant's answer, escape sequences and all.
    return Scenario(
        name=printable(name),
        status=str(data.get("status") or "unknown"),
        message=printable(str(details.get("message") or "")) if isinstance(details, dict) else "",
        items=tuple(items_of(tags)),
        tags=tags,
        feature=printable(feature),
        # Without a historyId (hand-written or truncated files) the name and parameters identify the scenario.
        history_id=str(data.get("historyId") or f"{data.get('fullName') or name}|{parameters}"),
        stop=int(data.get("stop") or data.get("start") or 0),
        parameters=parameters,
        steps=_steps(data),
        proven_on=_proven_on(data),
    )


def load_scenarios(results_dir: Path) -> list[Scenario]:
    """The latest result per historyId: a retry or a second worker's copy replaces the earlier attempt."""
    latest: dict[str, tuple[tuple[int, float, str], Scenario]] = {}
    for path in sorted(Path(results_dir).glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a half-written file from a killed worker; the scenario then shows as not run
        if not isinstance(data, dict):
            continue
        scenario = scenario_of(data)
        # Ties on stop time (same millisecond) fall back to file time, then name, so the choice is stable.
        key = (scenario.stop, path.stat().st_mtime, path.name)
        current = latest.get(scenario.history_id)
        if current is None or key > current[0]:
            latest[scenario.history_id] = (key, scenario)
    return sorted((entry[1] for entry in latest.values()), key=lambda s: (s.feature, s.name, s.parameters))


def latest_results(results_dir: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """historyId -> the result file load_scenarios chose for that scenario, and its data."""
    chosen = {s.history_id: s for s in load_scenarios(results_dir)}
    files: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in Path(results_dir).glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        scenario = chosen.get(str(data.get("historyId"))) if isinstance(data, dict) else None
        if scenario is not None and int(data.get("stop") or data.get("start") or 0) == scenario.stop:
            files[scenario.history_id] = (path, data)
    return files


STOPPED_EARLY_REASON = ("not run: the run stopped before this scenario (a failure with -x or --maxfail, an "
                        "interruption, or a crashed worker)")


def not_run_result(entry: dict[str, Any], reason: str, at: int) -> dict[str, Any]:
    """An Allure result for a collected scenario that never ran, so the report lists it with its reason."""
    labels = [{"name": "feature", "value": entry.get("feature", "")}, {"name": "framework", "value": "pytest-bdd"}]
    labels += [{"name": "tag", "value": tag} for tag in entry.get("tags", [])]
    labels += [{"name": "epic", "value": item.title} for item in items_of(entry.get("tags", []))]
    return {
        "uuid": str(uuid.uuid4()), "name": entry["name"], "fullName": entry["fullName"],
        "historyId": entry["historyId"], "testCaseId": entry.get("testCaseId"), "status": "skipped",
        "statusDetails": {"message": reason}, "start": at, "stop": at, "labels": labels,
        "parameters": entry.get("parameters", []),
        "steps": [{"name": f"{s['keyword']} {s['text']}", "status": "skipped", "start": at, "stop": at}
                  for s in entry.get("steps", [])],
    }


def not_run_results(results_dir: Path) -> list[dict[str, Any]]:
    """A skipped result, with its reason, for every collected scenario that left no result (deselected, skipped
    before it started, or never reached); nothing is written."""
    manifest = read_manifest(results_dir)
    if manifest is None:
        return []
    seen = {s.history_id for s in load_scenarios(results_dir)}
    return [not_run_result(entry, entry.get("not_run_reason") or STOPPED_EARLY_REASON,
                           int(manifest.get("written_at") or 0))
            for entry in manifest["scenarios"] if isinstance(entry, dict) and entry.get("historyId") not in seen]


def fill_not_run(results_dir: Path) -> int:
    """Writes not_run_results into the results, so the report lists them too. Returns how many were written."""
    results = not_run_results(results_dir)
    for result in results:
        (Path(results_dir) / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")
    return len(results)
