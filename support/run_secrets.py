"""This run's secret values, in memory only: redacted from the terminal and handed to the evidence scan."""
from __future__ import annotations

from typing import TextIO

import pytest

from reporting.secret_scan import MIN_SECRET_LENGTH

RUN_SECRETS_KEY = pytest.StashKey[set[str]]()
WORKER_OUTPUT_KEY = "go_live_run_secrets"
REDACTED = "***redacted***"


def run_secrets(config: pytest.Config) -> set[str]:
    """The values that must never be shown, for this process (and, in the controller, every worker's)."""
    return config.stash.setdefault(RUN_SECRETS_KEY, set())


def remember(config: pytest.Config, values: list[str]) -> None:
    run_secrets(config).update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


class RedactingStream:
    """Wraps the terminal's stream: every secret known to this process is replaced before it is written, so a
    traceback with --showlocals cannot show one either."""

    def __init__(self, stream: TextIO, secrets: set[str]):
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def redact_terminal(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and not isinstance(writer._file, RedactingStream):
        writer._file = RedactingStream(writer._file, run_secrets(config))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from support.keys import SETTINGS_KEY  # put in the stash by conftest.py before any plugin's configure
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
