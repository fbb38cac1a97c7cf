"""Runs the pinned Allure 3 (from .tools/) to build the single-file report, organised by checklist item."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from reporting.metadata import CATEGORIES, REPORT_NAME

TOOLS = Path(__file__).resolve().parent.parent / ".tools"
ALLURE_BIN = TOOLS / "node_modules" / ".bin" / "allure"
DRIVER = Path(__file__).resolve().parent / "generate.mjs"
TIMEOUT_SECONDS = 600
# Labels every result carries that tell a reviewer nothing (the machine, the worker thread, "python").
NOISE_LABELS = ["host", "thread", "language"]

# The quality gate's rules, in JavaScript because allurerc.mjs holds functions; VERDICT is filled in per build.
# The verdict itself is decided in Python (reporting/summary.py); the gate only shows it as Allure's own failure.
_GATE_RULES = """
const goLiveVerdict = {
  rule: "goLiveVerdict",
  message: ({ actual }) => `the go-live verdict is not READY: ${actual}`,
  successMessage: ({ actual }) => `the go-live verdict: ${actual}`,
  validate: async () => ({ success: VERDICT.overall === "ready", actual: VERDICT.headline, testResults: [] }),
};
const certifyingTarget = {
  rule: "certifyingTarget",
  message: ({ actual }) => `not a certification: the run was on ${actual}; only the Cryptopay sandbox certifies`,
  successMessage: ({ actual }) => `a certification target: ${actual}`,
  validate: async () => ({ success: VERDICT.certification, actual: VERDICT.target, testResults: [] }),
};
"""


class GenerationError(RuntimeError):
    pass


def allure_config(output: Path, verdict: dict | None = None) -> str:
    """allurerc.mjs: awesome plugin, one file, tree by epic (the checklist item), then feature, then story; the
    report named after the verdict, and a quality gate that fails unless the verdict is READY."""
    verdict = verdict or {}
    name = verdict.get("headline") or REPORT_NAME
    config = {
        "name": name,
        "output": str(output),
        # Allure 3 takes categories from its config; categories.json in the results only feeds Allure 2 views.
        "categories": CATEGORIES,
        "hideLabels": NOISE_LABELS,
        "plugins": {
            "awesome": {
                "options": {
                    "reportName": name,
                    "singleFile": True,
                    "reportLanguage": "en",
                    "groupBy": ["epic", "feature", "story"],
                    # Each product's items in checklist order (Invoices item 01 ...), not in running order.
                    "defaultSortBy": "name,asc",
                }
            }
        },
    }
    facts = {"overall": verdict.get("overall", "not ready"), "headline": name,
             "certification": bool(verdict.get("certification")), "target": verdict.get("target") or "unrecorded"}
    body = json.dumps(config, indent=2)
    gate = ('"qualityGate": {"rules": [{"id": "go-live", "goLiveVerdict": "ready", "certifyingTarget": true}], '
            '"use": [goLiveVerdict, certifyingTarget]},')
    body = body.replace("{", "{\n  " + gate, 1)
    return f"const VERDICT = {json.dumps(facts)};\n{_GATE_RULES}\nexport default {body};\n"


def _command(config: Path, results_dir: Path, allure_bin: Path) -> list[str]:
    """Our driver (generate + quality gate into the report) when node is there, else plain `allure generate`."""
    node = shutil.which("node")
    if node and allure_bin == ALLURE_BIN:
        return [node, str(DRIVER), str(TOOLS), str(config), str(results_dir)]
    return [str(allure_bin), "generate", "--config", str(config), str(results_dir)]


def generate(results_dir: Path, *, allure_bin: Path = ALLURE_BIN, verdict: dict | None = None) -> str:
    """The report's HTML, generated in a scratch directory so a failed run leaves no half report behind."""
    if not allure_bin.exists():
        raise GenerationError(f"Allure is not installed at {allure_bin}; run scripts/build_report.sh")
    with tempfile.TemporaryDirectory(prefix="allure-") as scratch:
        output = Path(scratch) / "report"
        config = Path(scratch) / "allurerc.mjs"
        config.write_text(allure_config(output, verdict), encoding="utf-8")
        env = {**os.environ, "NO_COLOR": "1"}
        try:
            done = subprocess.run(_command(config, Path(results_dir).resolve(), allure_bin), capture_output=True,
                                  text=True, timeout=TIMEOUT_SECONDS, env=env, cwd=scratch)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GenerationError(f"Allure did not run: {type(exc).__name__}: {exc}") from None
        index = output / "index.html"
        if done.returncode != 0 or not index.exists():
            tail = (done.stdout + done.stderr)[-2000:]
            raise GenerationError(f"Allure exited {done.returncode} without a report:\n{tail}")
        return index.read_text(encoding="utf-8")
