"""Runs the pinned Allure 3 (from .tools/) to build the single-file report, organised by checklist item."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from reporting.blame import CONFIGURATION, DEFECT, ENVIRONMENT
from reporting.metadata import REPORT_NAME
from reporting.tidy import BLAME_LABEL, NOISE_LABELS, allure_view

TOOLS = Path(__file__).resolve().parent.parent / ".tools"
ALLURE_BIN = TOOLS / "node_modules" / ".bin" / "allure"
DRIVER = Path(__file__).resolve().parent / "generate.mjs"
TIMEOUT_SECONDS = 600


def _blamed(name: str, status: str, category: str) -> dict:
    return {"id": f"go-live-{status}-{category.replace(' ', '-')}", "name": name,
            "matchers": {"statuses": [status], "labels": {BLAME_LABEL: f"^{category}$"}}}


# Allure 3's categories, read from the label the view puts on every failed or not proven entry (reporting/tidy.py):
# the very category the verdict decided, never guessed again from the message.
CATEGORIES: list[dict] = [
    _blamed("Fails its item: product defect (see its Why and Fix)", "failed", DEFECT),
    _blamed("Fails its item: a setting the item itself requires (declared policy, sign-off: see its Fix)", "failed",
            CONFIGURATION),
    _blamed("Fails its item: the environment (see its Why)", "failed", ENVIRONMENT),
    _blamed("Not proven: the run's configuration (Callback URL, secrets, probe token: see its Fix)", "broken",
            CONFIGURATION),
    _blamed("Not proven: the environment (a target unreachable, an outage, a target's own delays)", "broken",
            ENVIRONMENT),
    _blamed("Not proven: the scenario could not complete", "broken", DEFECT),
    {"id": "go-live-not-run", "name": "Not run on this target, or not reached (see the reason)",
     "matchers": {"statuses": ["skipped"]}},
]

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
                    # A scenario opens on its description, stories and diagrams; the steps, and the traceback of
                    # a failed one, stay folded below until asked for.
                    "stepTreeExpansion": "collapsed",
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


class Preloaded:
    """Our driver started ahead of the build, Allure's modules loaded while the scenarios run (a third of a second
    saved on every run); it waits for its one job on stdin. Unused, it is stopped when the run ends."""

    def __init__(self, process: subprocess.Popen):
        self._process = process

    def usable(self) -> bool:
        return self._process.poll() is None and self._process.stdin is not None

    def start(self, config: Path, results_dir: Path, cwd: str) -> subprocess.Popen:
        """Hands the driver its one job; it builds the page while the caller goes on. The job is all it reads: its
        stdin is closed and let go (communicate() then only collects what it says, and the driver is not usable
        again)."""
        stdin, self._process.stdin = self._process.stdin, None
        try:
            stdin.write(json.dumps({"config": str(config), "results": str(results_dir), "cwd": cwd}))
        finally:
            stdin.close()
        return self._process

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def preload(allure_bin: Path = ALLURE_BIN) -> Preloaded | None:
    """The driver, started now and loading Allure; None where there is no node or no Allure (generate() says why)."""
    node = shutil.which("node")
    if not node or allure_bin != ALLURE_BIN or not allure_bin.exists():
        return None
    try:
        return Preloaded(subprocess.Popen([node, str(DRIVER), str(TOOLS), "-"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()))
    except OSError:
        return None


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def _command(config: Path, results_dir: Path, allure_bin: Path) -> list[str]:
    """Our driver (generate + quality gate into the report) when node is there, else plain `allure generate`."""
    node = shutil.which("node")
    if node and allure_bin == ALLURE_BIN:
        return [node, str(DRIVER), str(TOOLS), str(config), str(results_dir)]
    return [str(allure_bin), "generate", "--config", str(config), str(results_dir)]


def _started(config: Path, results_dir: Path, cwd: str, allure_bin: Path,
             preloaded: Preloaded | None) -> subprocess.Popen:
    """Allure at work on the report: the preloaded driver if it is still waiting, else one started now."""
    if preloaded is not None and preloaded.usable():
        return preloaded.start(config, results_dir, cwd)
    return subprocess.Popen(_command(config, results_dir, allure_bin), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=cwd)


def _finished(process: subprocess.Popen, meanwhile: Callable[[], None] | None) -> tuple[int, str]:
    """`meanwhile` runs while Allure (another process) works, its errors its own; then Allure's exit code and
    output."""
    try:
        if meanwhile is not None:
            meanwhile()
        out, err = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise GenerationError(f"Allure did not finish: {exc}") from None
    finally:
        if process.poll() is None:  # timed out, or `meanwhile` raised: no Allure left running
            process.kill()
            process.communicate()
    return process.returncode, out + err


def generate(results_dir: Path, *, allure_bin: Path = ALLURE_BIN, verdict: dict | None = None,
             summary: dict | None = None, preloaded: Preloaded | None = None,
             meanwhile: Callable[[], None] | None = None) -> str:
    """The report's HTML, generated in a scratch directory so a failed run leaves no half report behind. With the
    go-live summary, Allure reads the view that follows its verdict (reporting/tidy.py), not the raw results.
    `preloaded`: the driver started earlier (preload()), used if it is still waiting; else one is started now.
    `meanwhile`: work of the caller's done while Allure builds the page (after the view is made, which it must not
    slow down: both hold Python's one lock)."""
    if not allure_bin.exists():
        raise GenerationError(f"Allure is not installed at {allure_bin}; run scripts/build_report.sh")
    with tempfile.TemporaryDirectory(prefix="allure-") as scratch:
        if summary is not None:
            results_dir = allure_view(Path(results_dir), summary, Path(scratch) / "view")
        output = Path(scratch) / "report"
        config = Path(scratch) / "allurerc.mjs"
        config.write_text(allure_config(output, verdict), encoding="utf-8")
        try:
            process = _started(config, Path(results_dir).resolve(), scratch, allure_bin, preloaded)
        except OSError as exc:
            raise GenerationError(f"Allure did not run: {type(exc).__name__}: {exc}") from None
        code, said = _finished(process, meanwhile)
        index = output / "index.html"
        if code != 0 or not index.exists():
            raise GenerationError(f"Allure exited {code} without a report:\n{said[-2000:]}")
        return index.read_text(encoding="utf-8")
