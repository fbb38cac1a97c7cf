"""Builds the go-live evidence at the end of the run, in the same process, so the secret scan never needs a file."""
from __future__ import annotations

import json
import re
import shutil
import signal
import textwrap
from pathlib import Path

import pytest

from _pytest.junitxml import xml_key  # pytest's JUnit writer: its summary line prints the path it is given

from reporting.allure import GenerationError, Preloaded, preload
from reporting.build import EVIDENCE_FILES, BuildResult, OfflineCheckError, build
from reporting.exit_codes import WORDS as EXIT_WORDS
from reporting.inert import printable
from reporting.secret_scan import scan_paths
from reporting.summary import (FAIL, MARKS, NOT_INTEGRATED, NOT_PROVEN, PASS, REHEARSAL_PASSED, item_reason,
                               product_items, product_words, products_of)
from support.plugins.run_kind import lists_only
from support.plugins.run_secrets import run_secrets

EXIT_EVIDENCE_NOT_CLEAN = 3
RESULT_KEY = pytest.StashKey[BuildResult]()
PROBLEM_KEY = pytest.StashKey[list[str]]()
JUNIT_KEY = pytest.StashKey[tuple[Path, Path]]()  # (where pytest writes this run's JUnit, where the evidence keeps it)
PRELOAD_KEY = pytest.StashKey[Preloaded]()
# Exits that ran nothing worth a verdict: the previous run's evidence stays as it was.
_NOTHING_RAN = (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--go-live-evidence", metavar="DIR", default=None,
                     help="after the run, build the go-live evidence (HTML, summary) into DIR from --alluredir, "
                          "scanned for this run's secrets; results end up in DIR/allure-results")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("go_live_evidence") or hasattr(config, "workerinput"):
        return
    # SIGTERM ends the run like Ctrl-C: workers stopped, evidence of what ran built, nothing left running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Before pytest's JUnit plugin opens its file: it writes beside this run's fresh results, and only a run whose
    # evidence is built moves it into the evidence folder. A listing, a configuration error or a run that ran
    # nothing leaves the previous run's junit.xml as it was, with the rest of its evidence.
    fresh, junit = getattr(config.option, "allure_report_dir", None), getattr(config.option, "xmlpath", None)
    if junit and lists_only(config):
        config.option.xmlpath = None  # a listing runs nothing: no JUnit file at all
    elif fresh and junit:
        fresh = Path(fresh).resolve()
        staged = fresh.parent / f".{fresh.name}.junit.xml"
        config.stash[JUNIT_KEY] = (staged, Path(junit).resolve())
        config.option.xmlpath = str(staged)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Allure starts loading while the scenarios run, where this run will build evidence: the build saves that."""
    config = session.config
    if may_build_evidence(config):
        preloaded = preload()
        if preloaded is not None:
            config.stash[PRELOAD_KEY] = preloaded


def pytest_unconfigure(config: pytest.Config) -> None:
    """A run that built nothing (a configuration error, nothing selected) stops the Allure it started."""
    preloaded = config.stash.get(PRELOAD_KEY, None)
    if preloaded is not None:
        preloaded.close()
        del config.stash[PRELOAD_KEY]


def _discard(output: Path, results: Path, junit: Path | None) -> None:
    """Evidence that failed its scan must not lie where people pick it up (CI uploads junit.xml too), nor the
    results it came from."""
    shutil.rmtree(results, ignore_errors=True)
    for name in EVIDENCE_FILES:
        (output / name).unlink(missing_ok=True)
    if junit is not None:
        junit.unlink(missing_ok=True)


def _junit(config: pytest.Config) -> Path | None:
    """This run's JUnit file, written by pytest's junitxml plugin before this plugin's (trylast) session end, moved
    beside the evidence; pytest's own "generated xml file" line then names where it is."""
    if JUNIT_KEY not in config.stash:
        path = getattr(config.option, "xmlpath", None)
        return Path(path).resolve() if path and Path(path).is_file() else None
    staged, kept = config.stash[JUNIT_KEY]
    if not staged.is_file():
        return None
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged), str(kept))
    writer = config.stash.get(xml_key, None)
    if writer is not None:
        writer.logfile = str(kept)
    return kept


def may_build_evidence(config: pytest.Config) -> bool:
    """This process builds the evidence at the end, if the run runs anything (the controller of a run that asked
    for it and is not a listing)."""
    return bool(config.getoption("go_live_evidence") and getattr(config.option, "allure_report_dir", None)
                and not hasattr(config, "workerinput") and not lists_only(config))


def builds_evidence(config: pytest.Config, exitstatus: int) -> bool:
    """A run that ran scenarios (to the end, failed or interrupted) gets evidence; a listing, a configuration error
    or a selection of nothing leaves reports/ byte for byte as the previous run left it."""
    return may_build_evidence(config) and exitstatus not in _NOTHING_RAN


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not builds_evidence(config, exitstatus):
        return
    output = Path(config.getoption("go_live_evidence")).resolve()
    fresh = Path(config.option.allure_report_dir).resolve()
    results = output / "allure-results"
    if fresh.resolve() != results.resolve():
        shutil.rmtree(results, ignore_errors=True)
        shutil.move(str(fresh), str(results))
    secrets, junit = sorted(run_secrets(config)), _junit(config)
    result, problems = None, []
    try:
        result = build(results, output, secrets=secrets, also=(junit,) if junit is not None else (),
                       preloaded=config.stash.get(PRELOAD_KEY, None))
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
    """The run ends on its verdict and where the evidence is, after pytest's own summary; then how to re-run what
    failed."""
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
        _write_marked(terminalreporter, line)
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
    rerun = rerun_words(config, len(_failed_scenarios(terminalreporter)))
    if rerun:
        terminalreporter.write_line(rerun, bold=True)


def _failed_scenarios(terminalreporter) -> set[str]:  # noqa: ANN001
    return {report.nodeid for kind in ("failed", "error") for report in terminalreporter.stats.get(kind, [])
            if getattr(report, "when", None) in ("setup", "call", "teardown")}


def rerun_words(config: pytest.Config, failures: int) -> str | None:
    """How a pytest user re-runs only what failed: pytest's cache (.pytest_cache/) remembers it, unless it is
    switched off (-p no:cacheprovider)."""
    if not failures or getattr(config, "cache", None) is None:
        return None
    what = "the failure" if failures == 1 else f"the {failures} failures"
    return (f"re-run {what}: bash scripts/certify.sh --lf   (a subset, never a certification; add -v for the "
            "tracebacks)")


# The item rows' marks in their colours on a terminal that shows colour (NO_COLOR honoured by pytest's writer).
_MARK_COLOURS = {MARKS[PASS]: "green", MARKS[FAIL]: "red", MARKS[NOT_PROVEN]: "yellow"}
_ITEM_ROW = re.compile(rf"^(  Item \d+  )({'|'.join(_MARK_COLOURS)})\b(.*)$", re.DOTALL)


def _write_marked(terminalreporter, line: str) -> None:  # noqa: ANN001
    """An item row with its mark coloured; any other line as it is."""
    row = _ITEM_ROW.match(line)
    if row is None:
        terminalreporter.write_line(line)
        return
    terminalreporter.ensure_newline()
    terminalreporter.write(row.group(1))
    terminalreporter.write(row.group(2), **{_MARK_COLOURS[row.group(2)]: True})
    terminalreporter.write(row.group(3) + "\n")


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
        # Cut between words, never inside one: the whole reason is in the summary and the report.
        reason = textwrap.shorten(printable(reason), width=150, placeholder=" …") if reason else ""
        lines.append(f"  Item {item['item']:02d}  {mark:8} {reason}".rstrip())
    if untouched:
        lines.append(f"  Items {', '.join(untouched)}: NOT RUN (deselected by {summary['run']['selection']})")
    return lines


def subset_words(summary: dict) -> str:
    """Which items a -m / -k / --lf run touched: it proves those at most, and is never a certification."""
    covered = [item.get("id") or str(item["item"]) for item in summary["items"]
               if any(row["status"] != "skipped" for row in item["scenarios"])]
    items = ", ".join(covered) or "none"
    return (f"subset run ({summary['run']['selection']}): covered items {items}; a subset is not a certification, "
            "run without -m, -k or --lf for one")
