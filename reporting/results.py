"""Reads Allure result JSONs, keeping one result per scenario when xdist workers or retries wrote several."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.checklist import item_numbers

_SKIP_PREFIXES = ("Skipped: ", "_pytest.outcomes.Skipped: ", "Skipped")


@dataclass(frozen=True)
class Scenario:
    name: str
    status: str
    message: str
    items: tuple[int, ...]
    tags: tuple[str, ...]
    feature: str
    history_id: str
    stop: int = 0
    parameters: tuple[str, ...] = field(default=())

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


def _scenario(data: dict[str, Any]) -> Scenario:
    labels = [label for label in data.get("labels") or [] if isinstance(label, dict)]
    tags = tuple(str(label.get("value", "")) for label in labels if label.get("name") == "tag")
    feature = next((str(label.get("value")) for label in labels if label.get("name") == "feature"), "")
    details = data.get("statusDetails") or {}
    parameters = tuple(f"{p.get('name')}={p.get('value')}" for p in data.get("parameters") or []
                       if isinstance(p, dict) and not p.get("excluded"))
    name = str(data.get("name") or data.get("fullName") or "unnamed scenario")
    return Scenario(
        name=name,
        status=str(data.get("status") or "unknown"),
        message=str(details.get("message") or "") if isinstance(details, dict) else "",
        items=tuple(item_numbers(list(tags))),
        tags=tags,
        feature=feature,
        # Without a historyId (hand-written or truncated files) the name and parameters identify the scenario.
        history_id=str(data.get("historyId") or f"{data.get('fullName') or name}|{parameters}"),
        stop=int(data.get("stop") or data.get("start") or 0),
        parameters=parameters,
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
        scenario = _scenario(data)
        # Ties on stop time (same millisecond) fall back to file time, then name, so the choice is stable.
        key = (scenario.stop, path.stat().st_mtime, path.name)
        current = latest.get(scenario.history_id)
        if current is None or key > current[0]:
            latest[scenario.history_id] = (key, scenario)
    return sorted((entry[1] for entry in latest.values()), key=lambda s: (s.feature, s.name, s.parameters))
