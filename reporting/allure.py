"""Runs the pinned Allure 3 (from .tools/) to build the single-file report, organised by checklist item."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from reporting.metadata import CATEGORIES, REPORT_NAME

TOOLS = Path(__file__).resolve().parent.parent / ".tools"
ALLURE_BIN = TOOLS / "node_modules" / ".bin" / "allure"
TIMEOUT_SECONDS = 600


class GenerationError(RuntimeError):
    pass


def allure_config(output: Path) -> str:
    """allurerc.mjs: awesome plugin, one file, tree by epic (the checklist item), then feature, then story."""
    config = {
        "name": REPORT_NAME,
        "output": str(output),
        # Allure 3 takes categories from its config; categories.json in the results only feeds Allure 2 views.
        "categories": CATEGORIES,
        "plugins": {
            "awesome": {
                "options": {
                    "singleFile": True,
                    "reportLanguage": "en",
                    "groupBy": ["epic", "feature", "story"],
                    # Item 01 to Item 14 in checklist order, not in the order the scenarios happened to run.
                    "defaultSortBy": "name,asc",
                }
            }
        },
    }
    return f"export default {json.dumps(config, indent=2)};\n"


def generate(results_dir: Path, *, allure_bin: Path = ALLURE_BIN) -> str:
    """The report's HTML, generated in a scratch directory so a failed run leaves no half report behind."""
    if not allure_bin.exists():
        raise GenerationError(f"Allure is not installed at {allure_bin}; run scripts/build_report.sh")
    with tempfile.TemporaryDirectory(prefix="allure-") as scratch:
        output = Path(scratch) / "report"
        config = Path(scratch) / "allurerc.mjs"
        config.write_text(allure_config(output), encoding="utf-8")
        env = {**os.environ, "NO_COLOR": "1"}
        try:
            done = subprocess.run([str(allure_bin), "generate", "--config", str(config), str(results_dir)],
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env, cwd=scratch)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GenerationError(f"Allure did not run: {type(exc).__name__}: {exc}") from None
        index = output / "index.html"
        if done.returncode != 0 or not index.exists():
            tail = (done.stdout + done.stderr)[-2000:]
            raise GenerationError(f"Allure exited {done.returncode} without a report:\n{tail}")
        return index.read_text(encoding="utf-8")
