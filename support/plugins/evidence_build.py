"""Builds the go-live evidence at the end of the run, in the same process, so the secret scan never needs a file."""
from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from checklists import items_of, items_words
from reporting.allure import GenerationError
from reporting.blame import CONFIGURATION, ENVIRONMENT, blame_of
from reporting.build import EVIDENCE_FILES, BuildResult, OfflineCheckError, build
from reporting.exit_codes import WORDS as EXIT_WORDS
from reporting.inert import printable
from reporting.secret_scan import scan_paths
from reporting.summary import (MARKS, NOT_INTEGRATED, NOT_PROVEN, PASS, REHEARSAL_PASSED, item_reason, product_items,
                               product_words, products_of)
from support.plugins.run_secrets import run_secrets

EXIT_EVIDENCE_NOT_CLEAN = 3
RESULT_KEY = pytest.StashKey[BuildResult]()
PROBLEM_KEY = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--go-live-evidence", metavar="DIR", default=None,
                     help="after the run, build the go-live evidence (HTML, summary) into DIR from --alluredir, "
                          "scanned for this run's secrets; results end up in DIR/allure-results")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("go_live_evidence") and not hasattr(config, "workerinput"):
        # SIGTERM ends the run like Ctrl-C: workers stopped, evidence of what ran built, nothing left running.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        config.pluginmanager.register(ScenarioLines(config), "go-live-scenario-lines")


SCENARIO_PROPERTY = "scenario"
_OUTCOMES = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
# A failure that proves nothing about the merchant is not called FAIL, even while the run goes on.
_NOT_PROVEN = {ENVIRONMENT: "ENV", CONFIGURATION: "CONF"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):  # noqa: ANN001
    """The scenario's own words travel with its report (xdist too), for the line printed as it ends."""
    if call.when == "setup" and SCENARIO_PROPERTY not in dict(item.user_properties):
        doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
        name = doc.split(": ", 1)[-1] if ": " in doc else item.name
        callspec = getattr(item, "callspec", None)
        item.user_properties.append((SCENARIO_PROPERTY, f"{name} [{callspec.id}]" if callspec else name))
    yield


def scenario_line(report: pytest.TestReport) -> str | None:
    """'FAIL  items 1, 12  <scenario>: Why ...' once per scenario: when its call ends, or when setup stops it."""
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return None
    # The report's words were cleaned when it was made (support/plugins/run_secrets.py); printable again here,
    # because this line is cut, and a cut must never fall inside an escape sequence that reaches the terminal whole.
    name = printable(str(dict(report.user_properties).get(SCENARIO_PROPERTY) or report.nodeid.split("::")[-1]))
    where = items_words(items_of(report.keywords)) or "no item"
    outcome, first = _OUTCOMES.get(report.outcome, report.outcome.upper()), ""
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        first = printable((getattr(crash, "message", "") or str(report.longrepr)).split("\n")[0])
        blame = blame_of(first)
        outcome = _NOT_PROVEN[blame.category] if blame.proves_nothing else outcome
    line = f"{outcome:4}  {where:<22} {name}"
    if first:
        line += f"\n      {first[:300]}"
    elif report.skipped and isinstance(report.longrepr, tuple):
        line += f"  ({printable(str(report.longrepr[2]).removeprefix('Skipped: '))[:160]})"
    return line


class ScenarioLines:
    """Registered in the controller of a --go-live-evidence run only: one line per scenario as it ends."""

    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        line = scenario_line(report)
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        if line and reporter is not None:
            if reporter._tw.width_of_current_line:  # after pytest's progress dots, start a line of our own
                reporter.write("\n")
            proven = not report.failed or line.startswith("FAIL")
            reporter.write_line(line, red=report.failed and proven, yellow=report.skipped or not proven)


def _discard(output: Path, results: Path, junit: Path | None) -> None:
    """Evidence that failed its scan must not lie where people pick it up (CI uploads junit.xml too), nor the
    results it came from."""
    shutil.rmtree(results, ignore_errors=True)
    for name in EVIDENCE_FILES:
        (output / name).unlink(missing_ok=True)
    if junit is not None:
        junit.unlink(missing_ok=True)


def _junit(config: pytest.Config) -> Path | None:
    """This run's JUnit file, written by pytest's junitxml plugin before this plugin's (trylast) session end."""
    path = getattr(config.option, "xmlpath", None)
    return Path(path).resolve() if path and Path(path).is_file() else None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    output, fresh = config.getoption("go_live_evidence"), getattr(config.option, "allure_report_dir", None)
    if not output or not fresh or hasattr(config, "workerinput") or exitstatus == pytest.ExitCode.USAGE_ERROR:
        return
    output, fresh = Path(output).resolve(), Path(fresh).resolve()
    results = output / "allure-results"
    if fresh.resolve() != results.resolve():
        shutil.rmtree(results, ignore_errors=True)
        shutil.move(str(fresh), str(results))
    secrets, junit = sorted(run_secrets(config)), _junit(config)
    result, problems = None, []
    try:
        result = build(results, output, secrets=secrets, also=(junit,) if junit is not None else ())
    except (GenerationError, OfflineCheckError, OSError) as exc:
        problems = [f"evidence report not generated: {printable(str(exc))}"]
    hits = (result.secret_hits if result else []) + (scan_paths([junit], secrets) if junit is not None else [])
    if hits:
        _discard(output, results, junit)
        problems += ["secret scan failed: the evidence and its results were deleted; these files held a secret or "
                     "a credential:", *(f"  {hit}" for hit in hits)]
    if problems:
        config.stash[PROBLEM_KEY] = problems
        session.exitstatus = EXIT_EVIDENCE_NOT_CLEAN
        return
    config.stash[RESULT_KEY] = result
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        # One verdict, three readers: the exit code says what the headline and the summary's JSON say (a passing
        # rehearsal or a partial run is not 0). An interrupted or broken run keeps pytest's own code.
        session.exitstatus = result.exit_code


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    """The run ends on its verdict and where the evidence is, after pytest's own summary."""
    problems = config.stash.get(PROBLEM_KEY, [])
    if problems:
        terminalreporter.write_sep("=", "go-live evidence: nothing to attach", red=True)
        for line in problems:
            terminalreporter.write_line(line, red=True)
    result = config.stash.get(RESULT_KEY, None)
    if result is None:
        return
    terminalreporter.write_sep("=", "go-live verdict", bold=True)
    try:
        summary = json.loads(Path(result.summary_json).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    for line in checklist_lines(summary) if summary else []:
        terminalreporter.write_line(line)
    ready, rehearsal = result.exit_code == 0, result.overall == REHEARSAL_PASSED
    not_proven = result.overall == NOT_PROVEN  # nothing failed: the environment's colour, not a defect's
    terminalreporter.write_line(printable(result.headline), bold=True, green=ready, blue=rehearsal,
                                yellow=not_proven, red=not ready and not rehearsal and not not_proven)
    if summary and summary["run"].get("selection"):
        terminalreporter.write_line(subset_words(summary), yellow=True)
    terminalreporter.write_line(f"evidence: {result.evidence}  (open it in a browser: the verdict comes first)")
    terminalreporter.write_line(f"exit code {result.exit_code}: {EXIT_WORDS[result.exit_code]} "
                                "(bash scripts/certify.sh --help lists them)")
    terminalreporter.write_line(f"summary:  {result.summary_md}")


def _deselected(item: dict) -> bool:
    rows = item["scenarios"]
    return bool(rows) and all(r["status"] == "skipped" and "deselected" in r.get("skip_reason", "") for r in rows)


def checklist_lines(summary: dict) -> list[str]:
    """The checklists as a table: a verdict per product, then each item's verdict, and for one that did not pass,
    its first reason. A product not integrated is its one line."""
    lines = []
    for product in products_of(summary):
        lines.append(product_words(product, summary))
        if product["verdict"] != NOT_INTEGRATED:
            lines += _item_lines(summary, product_items(summary, product))
    return lines


def _item_lines(summary: dict, items: list[dict]) -> list[str]:
    lines, untouched = [], []
    for item in items:
        if summary["run"].get("selection") and _deselected(item):
            untouched.append(str(item["item"]))  # a subset run: one line for every item it did not touch
            continue
        mark = MARKS[item["verdict"]]
        reason = item_reason(item) if item["verdict"] != PASS else ""
        lines.append(f"  Item {item['item']:02d}  {mark:8} {printable(reason)[:150]}".rstrip())
    if untouched:
        lines.append(f"  Items {', '.join(untouched)}: NOT RUN (deselected by {summary['run']['selection']})")
    return lines


def subset_words(summary: dict) -> str:
    """Which items a -m / -k run touched: it proves those at most, and is never a certification."""
    covered = [item.get("id") or str(item["item"]) for item in summary["items"]
               if any(row["status"] != "skipped" for row in item["scenarios"])]
    items = ", ".join(covered) or "none"
    return (f"subset run ({summary['run']['selection']}): covered items {items}; a subset is not a certification, "
            "run without -m/-k for one")
