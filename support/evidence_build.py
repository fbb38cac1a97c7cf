"""Builds the go-live evidence at the end of the run, in the same process, so the secret scan never needs a file."""
from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from reporting.allure import GenerationError
from reporting.build import BuildResult, OfflineCheckError, build
from support.run_secrets import run_secrets

EXIT_EVIDENCE_NOT_CLEAN = 3
RESULT_KEY = pytest.StashKey[BuildResult]()
PROBLEM_KEY = pytest.StashKey[list[str]]()
EVIDENCE_FILES = ("go-live-evidence.html", "go-live-summary.md", "go-live-summary.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--go-live-evidence", metavar="DIR", default=None,
                     help="after the run, build the go-live evidence (HTML, summary) into DIR from --alluredir, "
                          "scanned for this run's secrets; results end up in DIR/allure-results")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("go_live_evidence") and not hasattr(config, "workerinput"):
        # SIGTERM ends the run like Ctrl-C: workers stopped, evidence of what ran built, nothing left running.
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def _discard(output: Path, results: Path) -> None:
    """Evidence that failed its scan must not lie where people pick it up, nor the results it came from."""
    shutil.rmtree(results, ignore_errors=True)
    for name in EVIDENCE_FILES:
        (output / name).unlink(missing_ok=True)


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
    try:
        result = build(results, output, secrets=sorted(run_secrets(config)))
    except (GenerationError, OfflineCheckError, OSError) as exc:
        config.stash[PROBLEM_KEY] = [f"evidence report not generated: {exc}"]
        session.exitstatus = EXIT_EVIDENCE_NOT_CLEAN
        return
    if result.secret_hits:
        _discard(output, results)
        config.stash[PROBLEM_KEY] = ["secret scan failed: the evidence and its results were deleted; these files "
                                     "held a secret or a credential:", *(f"  {hit}" for hit in result.secret_hits)]
        session.exitstatus = EXIT_EVIDENCE_NOT_CLEAN
        return
    config.stash[RESULT_KEY] = result


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
    terminalreporter.write_line(result.headline, bold=True)
    terminalreporter.write_line(f"evidence: {result.evidence}")
    terminalreporter.write_line(f"summary:  {result.summary_md}")
