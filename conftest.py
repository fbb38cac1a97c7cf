"""Root pytest wiring: settings validated before anything runs, step modules registered as plugins."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.plugins.keys import SETTINGS_KEY
from support.targets.env_file import merge, read_env_file
from support.targets.settings import ConfigError, Settings, load_settings

# The suite's pytest plugins, all from support/plugins/, then the step modules (steps/, one per domain concept).
PLUGINS = ("run_manifest", "run_secrets", "evidence_build", "scenario_lines", "fixtures", "products", "run_budget",
           "run_info", "allure_labels", "failure_diagnosis", "scenario_evidence", "collector")
STEPS = ("concepts", "customers", "deposits", "payments", "clock", "resolutions", "callbacks", "finding", "signoff",
         "channels", "payouts")
pytest_plugins = [f"support.plugins.{name}" for name in PLUGINS] + [f"steps.{name}" for name in STEPS]

ROOT = Path(__file__).parent
SHELL_WARNING_KEY = pytest.StashKey[str]()


def shared_emulator_problem(config: pytest.Config, settings: Settings) -> str | None:
    """A standalone emulator with control has one clock, one callback URL and one delivery pause for the whole
    account: scenarios on several workers would move each other's time, so a run there is serial."""
    workers = getattr(config.option, "numprocesses", None)
    if settings.embedded_emulator or not settings.emulator_control_url or not workers:
        return None
    if workers == 1:
        return None
    return (f"-n {workers} against one standalone emulator with its control API (EMULATOR_CONTROL_URL): its clock, "
            "callback URL and delivery pause are shared by every scenario, so one worker's time travel would "
            "change another's invoice. Run it serially (no -n), or leave CRYPTOPAY_API_URL blank for the embedded "
            "default, which gives each worker its own emulator")


def pytest_configure(config: pytest.Config) -> None:
    # The settings file is read into the settings only, never into os.environ, so tests and the processes they
    # start see exactly the environment they were given. A file named by CERTIFY_ENV_FILE wins over the shell,
    # plain .env does not; either way a key set differently in both is named (support/targets/env_file.py).
    found = read_env_file(os.environ, ROOT / ".env")
    values, warning = merge(found, os.environ)
    try:
        settings = load_settings(values, ROOT)
    except ConfigError as exc:
        raise pytest.UsageError(str(ConfigError(found.problems + exc.problems))) from None
    if found.problems:
        raise pytest.UsageError(str(ConfigError(found.problems)))
    if not hasattr(config, "workerinput") and (problem := shared_emulator_problem(config, settings)):
        raise pytest.UsageError(str(ConfigError([problem])))
    config.stash[SETTINGS_KEY] = settings
    if warning and not hasattr(config, "workerinput"):
        config.stash[SHELL_WARNING_KEY] = warning


def pytest_sessionstart(session: pytest.Session) -> None:
    """The shell's differing keys, named before any scenario runs."""
    warning = session.config.stash.get(SHELL_WARNING_KEY, None)
    reporter = session.config.pluginmanager.getplugin("terminalreporter")
    if warning and reporter is not None:
        reporter.write_line(f"settings: {warning}", yellow=True)
