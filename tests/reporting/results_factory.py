"""Hand-made Allure result files, shaped like allure-pytest-bdd's, for the reporting tests."""
from __future__ import annotations

import json
import uuid
from pathlib import Path


def write_result(results: Path, name: str, status: str, items: list[int], *, history_id: str | None = None,
                 stop: int = 1_000, message: str = "", extra_tags: tuple[str, ...] = (),
                 steps: list[tuple[str, str]] = (), product: str = "invoices") -> Path:
    """items: numbers of the product's checklist; steps: (Gherkin line with its keyword, Allure status), in order."""
    results.mkdir(parents=True, exist_ok=True)
    tags = [product, *(f"{product}_{n}" for n in items), *extra_tags]
    data = {
        "name": name,
        "status": status,
        "historyId": history_id or f"history-{name}",
        "start": stop - 10,
        "stop": stop,
        "labels": [{"name": "feature", "value": "A feature"}] + [{"name": "tag", "value": t} for t in tags],
    }
    if steps:
        data["steps"] = [{"name": line, "status": status} for line, status in steps]
    if message:
        data["statusDetails"] = {"message": message}
    path = results / f"{uuid.uuid4()}-result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
