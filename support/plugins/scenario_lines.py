"""The run's terminal, one line per scenario as it ends: "[12/71  ~3m left] PASS  invoices item 12  <title>"; a
failure's Why, Fix and failed step under it; one line per product (or reason) whose scenarios are not run."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checklists import items_of, items_words
from reporting.blame import CONFIGURATION, ENVIRONMENT, blame_of
from reporting.inert import printable
from reporting.manifest import read_manifest
from reporting.terminal_lines import Plan, cut, failure_details, plan_of, progress
from support.plugins.run_manifest import scenario_title

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_PROPERTY = "scenario"
FAILED_STEP_PROPERTY = "failed step"
_OUTCOMES = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
_COLOURS = {"PASS": "green", "FAIL": "red", "ENV": "yellow", "CONF": "yellow", "SKIP": "yellow"}
# A failure that proves nothing about the merchant is not called FAIL, even while the run goes on.
_NOT_PROVEN = {ENVIRONMENT: "ENV", CONFIGURATION: "CONF"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):  # noqa: ANN001
    """The scenario's title travels with its report (xdist too), for the line printed as it ends."""
    if call.when == "setup" and SCENARIO_PROPERTY not in dict(item.user_properties):
        item.user_properties.append((SCENARIO_PROPERTY, scenario_title(item) or item.name))
    yield


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature, scenario, step, step_func, step_func_args,
                          exception: BaseException) -> None:
    """The failed step, as the feature says it and where: the first thing a reader of the features looks for."""
    path = Path(getattr(feature, "filename", "") or "")
    where = f"{path.relative_to(ROOT)}:{step.line_number}" if path.is_relative_to(ROOT) else ""
    said = f"{step.keyword} {step.name}".strip()
    request.node.user_properties.append((FAILED_STEP_PROPERTY, f"{said} ({where})" if where else said))


@pytest.hookimpl(trylast=True)  # after pytest's terminal plugin has made its reporter
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("go_live_evidence", None) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ScenarioLines(config), "go-live-scenario-lines")


@dataclass
class Line:
    """What the terminal says of one scenario that ended: its word, where it counts, its title, and what follows."""
    word: str
    where: str
    title: str
    details: list[str] = field(default_factory=list)


def scenario_line(report: pytest.TestReport) -> Line | None:
    """Once per scenario: when its call ends, or when setup stops it; None for every other report."""
    if not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return None
    properties = dict(report.user_properties)
    # The report's words were cleaned when it was made (support/plugins/run_secrets.py); printable again here, so
    # a title or reason can never carry an escape sequence to the terminal.
    title = printable(str(properties.get(SCENARIO_PROPERTY) or report.nodeid.split("::")[-1]))
    line = Line(_OUTCOMES.get(report.outcome, report.outcome.upper()), items_words(items_of(report.keywords))
                or "no item", title)
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        first = printable((getattr(crash, "message", "") or str(report.longrepr)).strip().split("\n")[0])
        blame = blame_of(first)
        line.word = _NOT_PROVEN[blame.category] if blame.proves_nothing else line.word
        line.details = failure_details(first)
        if properties.get(FAILED_STEP_PROPERTY):
            line.details.append(f"Failed step: {printable(str(properties[FAILED_STEP_PROPERTY]))}")
    elif report.skipped and isinstance(report.longrepr, tuple):
        reason = printable(str(report.longrepr[2]).removeprefix("Skipped: "))
        line.details = [f"Skipped: {cut(reason)}"]
    return line


class ScenarioLines:
    """Registered in the controller of a --go-live-evidence run only. Without -v pytest's own dots, file names and
    end-of-run tracebacks give way to these lines (the tracebacks are in the evidence); with -v they stay too."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.plan: Plan | None = None
        self.done = 0
        self.started = time.monotonic()
        self.quiet: pytest.TestReport | None = None  # the report pytest's terminal is reading, told to say nothing
        self.last_reasons: tuple[list[str], int] | None = None  # the last failure's Why/Fix and its number
        self.verbose = config.get_verbosity() > 0
        reporter = self._reporter()
        if reporter is not None and not self.verbose:
            reporter.showfspath = False      # no "steps/test_features.py" before each line
            config.option.no_summary = True  # no FAILURES section: Why, Fix and the failed step are on the line

    def _reporter(self):  # noqa: ANN202
        return self.config.pluginmanager.getplugin("terminalreporter")

    # -- what the run will do: known once collected (in a worker under xdist, which writes the manifest) ----------
    @pytest.hookimpl(trylast=True)  # under pytest's "collected … items"
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items or not self.config.pluginmanager.has_plugin("dsession"):
            self._announce(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:  # noqa: ANN001
        if self.plan is None:
            self._announce(len(ids))

    def _announce(self, selected: int) -> None:
        results = getattr(self.config.option, "allure_report_dir", None)
        self.plan = plan_of(read_manifest(Path(results)) if results else None, selected)
        self.started = time.monotonic()
        reporter = self._reporter()
        for line in self.plan.groups if reporter is not None else []:
            reporter.write_line(printable(line), yellow=True)

    # -- one line per scenario ----------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):  # noqa: ANN201
        status = yield
        if report is self.quiet:
            return status[0], "", ""  # counted in pytest's totals, but its letter and word are this plugin's line
        return status

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport):  # noqa: ANN201
        self.quiet = None if self.verbose else report
        try:
            result = yield
        finally:
            self.quiet = None
        self._write(report)
        return result

    def _write(self, report: pytest.TestReport) -> None:
        reporter = self._reporter()
        if reporter is None or (self.plan and report.nodeid in self.plan.not_run and report.skipped):
            return  # a scenario not run for its product's or the target's reason: said once, up front
        line = scenario_line(report)
        if line is None:
            return
        self.done += 1
        prefix = self._progress()
        if reporter._tw.width_of_current_line:  # after anything pytest left on the line, a line of our own
            reporter.write("\n")
        reporter.write(prefix + " ")
        reporter.write(f"{line.word:4}", **{_COLOURS.get(line.word, "bold"): True})
        reporter.write(f"  {line.where:<22} {line.title}\n")
        indent = " " * (len(prefix) + 1)
        for detail in self._details(line):
            reporter.write(f"{indent}{detail}\n")

    def _details(self, line: Line) -> list[str]:
        """A failure's Why and Fix, once: the same again (an outage fails scenario after scenario) points above."""
        reasons = [d for d in line.details if not d.startswith("Failed step: ")]
        rest = line.details[len(reasons):]
        if line.word == "SKIP" or not reasons:
            return line.details
        if self.last_reasons and self.last_reasons[0] == reasons:
            same = "Why and Fix: as at" if reasons[0].startswith("Why (") else "The same failure as at"
            return [f"{same} [{self.last_reasons[1]}] above", *rest]
        self.last_reasons = (reasons, self.done)
        return line.details

    def _progress(self) -> str:
        return progress(self.done, self.plan.total if self.plan else 0, time.monotonic() - self.started)
