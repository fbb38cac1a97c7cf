"""This run's secret values, in memory only: redacted from reports and the terminal, handed to the evidence scan."""
from __future__ import annotations

import dataclasses
from typing import Any, TextIO

import pytest

from reporting.inert import printable, terminal_safe
from reporting.redaction import MIN_SECRET_LENGTH, redact

RUN_SECRETS_KEY = pytest.StashKey[set[str]]()
WORKER_OUTPUT_KEY = "go_live_run_secrets"


def run_secrets(config: pytest.Config) -> set[str]:
    """The values that must never be shown, for this process (and, in the controller, every worker's)."""
    return config.stash.setdefault(RUN_SECRETS_KEY, set())


def remember(config: pytest.Config, values: list[str]) -> None:
    run_secrets(config).update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


def clean_text(config: pytest.Config, text: str) -> str:
    """Text fit for any output: this run's secrets redacted (fragments too), control characters made visible."""
    return printable(redact(text, run_secrets(config)))


def clean_exception(config: pytest.Config, exception: BaseException) -> None:
    """The exception's own words cleaned in place, before JUnit, Allure and the terminal read them: a failure often
    quotes a merchant's answer, which may echo a token or carry escape sequences. Its causes too."""
    seen: set[int] = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        exception.args = tuple(clean_text(config, a) if isinstance(a, str) else a for a in exception.args)
        if isinstance(getattr(exception, "msg", None), str):  # pytest's skip/fail/exit outcomes print .msg
            exception.msg = clean_text(config, exception.msg)  # type: ignore[attr-defined]
        notes = getattr(exception, "__notes__", None)
        if isinstance(notes, list):
            exception.__notes__ = [clean_text(config, n) if isinstance(n, str) else n for n in notes]
        exception = exception.__cause__ or exception.__context__


def _cleaned(value: Any, clean, depth: int = 0) -> Any:  # noqa: ANN001 - clean: str -> str
    """Every string inside a report's representation of a failure (frames, locals, messages), cleaned; the objects
    are pytest's own dataclasses, changed in place so the ones they share (the crash line) stay shared."""
    if isinstance(value, str):
        return clean(value)
    if depth > 12:
        return value
    if isinstance(value, (list, tuple)):
        items = [_cleaned(v, clean, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            setattr(value, field.name, _cleaned(getattr(value, field.name), clean, depth + 1))
    return value


def clean_report(config: pytest.Config, report: pytest.TestReport) -> None:
    """The report's failure, captured output and properties, cleaned in place."""
    def clean(text: str) -> str:
        return clean_text(config, text)

    report.longrepr = _cleaned(report.longrepr, clean)
    report.sections = _cleaned(list(report.sections), clean)
    report.user_properties = _cleaned(list(report.user_properties), clean)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Innermost wrapper: the exception is cleaned before pytest describes it, and the report before the Allure
    listener, JUnit (in the controller too: xdist sends it as cleaned here) or the terminal read it."""
    if call.excinfo is not None:
        clean_exception(item.config, call.excinfo.value)
    outcome = yield
    clean_report(item.config, outcome.get_result())


class RedactingStream:
    """Wraps the terminal's stream: every secret known to this process is replaced before it is written, so a
    traceback with --showlocals cannot show one either; and no control sequence but the writer's own colours gets
    through, so nothing written can clear the screen, set the title or write the clipboard."""

    def __init__(self, stream: TextIO, secrets: set[str]):
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(redact(text, self._secrets)))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def redact_terminal(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and not isinstance(writer._file, RedactingStream):
        writer._file = RedactingStream(writer._file, run_secrets(config))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from support.plugins.keys import SETTINGS_KEY  # put in the stash by conftest.py before any plugin's configure
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None:
        remember(config, settings.secrets())
    redact_terminal(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its secrets (e.g. its own emulator's) to the controller, in memory, with its results."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT_KEY] = sorted(run_secrets(session.config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 - xdist's WorkerController and its error
    remember(node.config, list(getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, [])))
