"""collected-scenarios.json: every scenario a run collected, selected or not, with why it was not run; one writer
(the pytest side calls it) and one reader (the verdict), so no scenario can vanish from a verdict."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

MANIFEST = "collected-scenarios.json"
# Why a collected scenario was not run: the words the terminal, the summary and the report all show.
EMULATOR_ONLY_REASON = ("needs the emulator's sandbox control API (forced risk levels, the clock, the monitoring "
                        "team's decision); the real sandbox offers no such control")
DESELECTED_REASON = "deselected by this run's selection ({selection}): not part of this run"
NOT_CHOSEN_REASON = "not integrated (CERTIFY_PRODUCTS)"
NOT_OFFERED_REASON = "not integrated (the merchant's probe offers {offered} only: GET /capabilities)"


def write_manifest(results_dir: Path, entries: list[dict[str, Any]], selection: str) -> None:
    """Atomically, because every xdist worker collects the same scenarios and writes the same file."""
    results_dir = Path(results_dir)
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
